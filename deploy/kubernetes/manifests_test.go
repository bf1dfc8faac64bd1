// Package kubernetes holds the tests of the Kubernetes manifests beside it:
// each object against its kind's schema (schemas/, generated, never
// downloaded), the guards the README promises, and each ConfigMap's
// hrsync.yaml through the config package, as `config check` reads it.
package kubernetes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/hrsync/hrsync/config"
)

// schemaFiles names the schema of each apiVersion/kind the manifests use.
var schemaFiles = map[string]string{
	"batch/v1/CronJob": "cronjob-batch-v1.json",
	"v1/ConfigMap":     "configmap-v1.json",
	"v1/Secret":        "secret-v1.json",
}

type object struct {
	file string
	v    map[string]any
}

func (o object) key() string { return str(o.v["apiVersion"]) + "/" + str(o.v["kind"]) }

func str(v any) string { s, _ := v.(string); return s }

// manifests reads every object of every .yaml file below the folder but
// the kustomizations (which are kustomize's, not the API's).
func manifests(t *testing.T) []object {
	t.Helper()
	var out []object
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" || d.Name() == "kustomization.yaml" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var v map[string]any
			if err := dec.Decode(&v); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if v != nil {
				out = append(out, object{path, v})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no manifests found")
	}
	return out
}

// validator compiles the schemas once per test.
type validator map[string]*jsonschema.Schema

func newValidator(t *testing.T) validator {
	t.Helper()
	c := jsonschema.NewCompiler()
	v := validator{}
	for key, file := range schemaFiles {
		f, err := os.Open(filepath.Join("schemas", file))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		url := "file:///schemas/" + file
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
		if v[key], err = c.Compile(url); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	return v
}

// validate checks one object against its kind's schema. The object goes
// through JSON first, as kubectl sends it.
func (vd validator) validate(o map[string]any) error {
	key := str(o["apiVersion"]) + "/" + str(o["kind"])
	s, ok := vd[key]
	if !ok {
		return errors.New("no schema for " + key + ": add the kind to schemas/gen and run schemas/generate.sh")
	}
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

func TestManifestsMatchSchemas(t *testing.T) {
	vd := newValidator(t)
	for _, o := range manifests(t) {
		if err := vd.validate(o.v); err != nil {
			t.Errorf("%s: %s: %v", o.file, o.key(), err)
		}
	}
}

// TestBrokenManifestsFail: the check catches what kubectl apply would
// refuse (or, for a typo in a field name, silently drop).
func TestBrokenManifestsFail(t *testing.T) {
	vd := newValidator(t)
	cron := find(t, manifests(t), "base/cronjob.yaml", "CronJob").v
	if err := vd.validate(cron); err != nil {
		t.Fatalf("the base CronJob itself: %v", err)
	}
	cases := []struct {
		name   string
		change func(cj map[string]any)
	}{
		{"misspelt field", func(cj map[string]any) {
			spec := cj["spec"].(map[string]any)
			spec["concurencyPolicy"] = spec["concurrencyPolicy"]
			delete(spec, "concurrencyPolicy")
		}},
		{"no schedule", func(cj map[string]any) { delete(cj["spec"].(map[string]any), "schedule") }},
		{"uid as text", func(cj map[string]any) { podSpec(cj)["securityContext"].(map[string]any)["runAsUser"] = "65532" }},
		{"memory as a map", func(cj map[string]any) {
			container(cj)["resources"].(map[string]any)["requests"].(map[string]any)["memory"] = map[string]any{"Mi": 128}
		}},
		{"container without a name", func(cj map[string]any) { delete(container(cj), "name") }},
		{"args not a list", func(cj map[string]any) { container(cj)["args"] = "import --pull" }},
		{"wrong kind", func(cj map[string]any) { cj["kind"] = "CronJobs" }},
	}
	for _, c := range cases {
		cj := deepCopy(t, cron)
		c.change(cj)
		if err := vd.validate(cj); err == nil {
			t.Errorf("%s: the broken CronJob passed", c.name)
		}
	}
}

// TestCronJobGuards: what deploy/kubernetes/README.md promises of the job.
func TestCronJobGuards(t *testing.T) {
	objs := manifests(t)
	cj := find(t, objs, "base/cronjob.yaml", "CronJob").v
	spec := cj["spec"].(map[string]any)
	if spec["concurrencyPolicy"] != "Forbid" {
		t.Errorf("concurrencyPolicy = %v, want Forbid", spec["concurrencyPolicy"])
	}
	ps := podSpec(cj)
	sc := ps["securityContext"].(map[string]any)
	if sc["runAsNonRoot"] != true || sc["runAsUser"] != 65532 {
		t.Errorf("pod securityContext %v: want runAsNonRoot and uid 65532 (the image's USER)", sc)
	}
	c := container(cj)
	csc := c["securityContext"].(map[string]any)
	if csc["readOnlyRootFilesystem"] != true || csc["allowPrivilegeEscalation"] != false {
		t.Errorf("container securityContext %v", csc)
	}
	req := c["resources"].(map[string]any)["requests"].(map[string]any)
	if req["cpu"] == nil || req["memory"] == nil {
		t.Errorf("requests %v: want cpu and memory", req)
	}
	mounts := map[string]string{} // volume -> mount path
	for _, m := range c["volumeMounts"].([]any) {
		m := m.(map[string]any)
		mounts[str(m["name"])] = str(m["mountPath"])
	}
	vols := map[string]map[string]any{}
	for _, v := range ps["volumes"].([]any) {
		v := v.(map[string]any)
		vols[str(v["name"])] = v
	}
	if vols["data"]["emptyDir"] == nil || mounts["data"] != "/data" {
		t.Errorf("data volume %v at %q: want an emptyDir at /data", vols["data"], mounts["data"])
	}
	cmName := str(vols["config"]["configMap"].(map[string]any)["name"])
	secretName := str(vols["secrets"]["secret"].(map[string]any)["secretName"])
	configPath := ""
	args := c["args"].([]any)
	for i, a := range args {
		if a == "--config" && i+1 < len(args) {
			configPath = str(args[i+1])
		}
	}
	if filepath.Dir(configPath) != mounts["config"] {
		t.Errorf("--config %s is not in the ConfigMap's mount %s", configPath, mounts["config"])
	}
	secret := find(t, objs, "base/secret.example.yaml", "Secret").v
	if name := str(secret["metadata"].(map[string]any)["name"]); name != secretName {
		t.Errorf("the Secret is %s, the CronJob mounts %s", name, secretName)
	}
	keys := secret["stringData"].(map[string]any)

	for _, o := range objs {
		if o.key() != "v1/ConfigMap" {
			continue
		}
		if name := str(o.v["metadata"].(map[string]any)["name"]); name != cmName {
			t.Errorf("%s: ConfigMap %s, the CronJob mounts %s", o.file, name, cmName)
		}
		text := str(o.v["data"].(map[string]any)[filepath.Base(configPath)])
		if text == "" {
			t.Fatalf("%s: no %s in the ConfigMap", o.file, filepath.Base(configPath))
		}
		if !regexp.MustCompile(`(?m)^data_dir: /data\b`).MatchString(text) {
			t.Errorf("%s: data_dir is not the emptyDir /data", o.file)
		}
		// Every file the config reads from the Secret is one of its keys.
		for _, m := range regexp.MustCompile(`(?m)^\s*\w+(?:_file|known_hosts):\s*(\S+)`).FindAllStringSubmatch(text, -1) {
			dir, key := filepath.Dir(m[1]), filepath.Base(m[1])
			if dir != mounts["secrets"] {
				t.Errorf("%s: %s is outside the Secret's mount %s", o.file, m[1], mounts["secrets"])
			} else if _, ok := keys[key]; !ok {
				t.Errorf("%s: %s names no key of the Secret (%v)", o.file, m[1], keys)
			}
		}
	}
}

// TestConfigMapConfigsPassConfigCheck: each ConfigMap's hrsync.yaml is
// what `hrsync config check` accepts, with the Secret's files in place.
func TestConfigMapConfigsPassConfigCheck(t *testing.T) {
	objs := manifests(t)
	secrets := t.TempDir()
	for key := range find(t, objs, "base/secret.example.yaml", "Secret").v["stringData"].(map[string]any) {
		if err := os.WriteFile(filepath.Join(secrets, key), []byte("not-a-real-secret\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, o := range objs {
		if o.key() != "v1/ConfigMap" {
			continue
		}
		text := str(o.v["data"].(map[string]any)["hrsync.yaml"])
		text = strings.ReplaceAll(text, "/etc/hrsync/secrets/", filepath.ToSlash(secrets)+"/")
		path := filepath.Join(t.TempDir(), "hrsync.yaml")
		cfg, err := config.Parse(path, []byte(text))
		if err == nil && (cfg.State == nil || cfg.State.URL == "") {
			err = fmt.Errorf("no state.url: a pod's data folder is gone after each run")
		}
		if err != nil {
			t.Errorf("%s: config check: %v", o.file, err)
		}
		n++
	}
	if n < 2 {
		t.Fatalf("checked %d ConfigMaps, want the base's and acme's", n)
	}
}

// TestKustomizationsNameRealFiles: every file a kustomization lists is there.
func TestKustomizationsNameRealFiles(t *testing.T) {
	matches, _ := filepath.Glob("*/kustomization.yaml")
	more, _ := filepath.Glob("*/*/kustomization.yaml")
	matches = append(matches, more...)
	if len(matches) < 2 {
		t.Fatalf("kustomizations: %v", matches)
	}
	for _, k := range matches {
		b, err := os.ReadFile(k)
		if err != nil {
			t.Fatal(err)
		}
		var kz struct {
			Resources []string `yaml:"resources"`
			Patches   []struct {
				Path string `yaml:"path"`
			} `yaml:"patches"`
		}
		if err := yaml.Unmarshal(b, &kz); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		names := slices.Clone(kz.Resources)
		for _, p := range kz.Patches {
			if p.Path != "" {
				names = append(names, p.Path)
			}
		}
		for _, n := range names {
			if _, err := os.Stat(filepath.Join(filepath.Dir(k), n)); err != nil {
				t.Errorf("%s: %s: %v", k, n, err)
			}
		}
	}
}

// TestDockerfilesAgree: the release image and the one built from source
// end in the same base, user and binary path.
func TestDockerfilesAgree(t *testing.T) {
	final := func(path string) (from, user, bin string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) >= 2 && f[0] == "FROM":
				from, user, bin = f[1], "", ""
			case len(f) >= 2 && f[0] == "USER":
				user = f[1]
			case len(f) >= 3 && f[0] == "COPY":
				bin = f[len(f)-1]
			}
		}
		return from, user, bin
	}
	rf, ru, rb := final(filepath.Join("..", "container", "Dockerfile"))
	ef, eu, eb := final(filepath.Join("..", "..", "examples", "container", "Dockerfile"))
	if rf != ef || ru != eu || rb != eb {
		t.Errorf("release image %s %s %s, example %s %s %s", rf, ru, rb, ef, eu, eb)
	}
	if !regexp.MustCompile(`^\d+:\d+$`).MatchString(ru) || strings.HasPrefix(ru, "0:") {
		t.Errorf("USER %q: want a numeric non-root uid:gid", ru)
	}
}

func find(t *testing.T, objs []object, file, kind string) object {
	t.Helper()
	for _, o := range objs {
		if filepath.ToSlash(o.file) == file && o.v["kind"] == kind {
			return o
		}
	}
	t.Fatalf("no %s in %s", kind, file)
	return object{}
}

func podSpec(cj map[string]any) map[string]any {
	jt := cj["spec"].(map[string]any)["jobTemplate"].(map[string]any)
	return jt["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
}

func container(cj map[string]any) map[string]any {
	return podSpec(cj)["containers"].([]any)[0].(map[string]any)
}

func deepCopy(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
