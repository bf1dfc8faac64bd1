package examples_test

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hrsync/hrsync/config"
)

// yamlBlock is one ```yaml block of the README and the line it starts on.
type yamlBlock struct {
	line int
	text string
}

func readmeYAML(t *testing.T) []yamlBlock {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []yamlBlock
	var cur *yamlBlock
	for i, l := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.TrimSpace(l) == "```yaml":
			cur = &yamlBlock{line: i + 2}
		case cur != nil && strings.TrimSpace(l) == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += l + "\n"
		}
	}
	if cur != nil {
		t.Fatalf("README.md:%d: a yaml block is never closed", cur.line-1)
	}
	return blocks
}

var (
	envRef   = regexp.MustCompile(`\$\{(\w+)\}`)
	fileRef  = regexp.MustCompile(`(?m)^[^#\n]*\b(?:token|password|secret|passphrase)_file:\s*([^\s,}#]+)`)
	caRef    = regexp.MustCompile(`(?m)^[^#\n]*\bca_file:\s*([^\s,}#]+)`)
	elisions = regexp.MustCompile(`\{ *\.\.\. *\}`) // "mapping: { ... }": as for any source, elsewhere
)

// The parts a fragment leaves to the rest of the README, so that it can
// go through config.Parse whole.
const (
	readmeHR     = "hr:\n  url: sqlite://hr.db\n  employees: { file: employees.csv }\n"
	readmeSource = "sources:\n  gate:\n    path: punches.csv\n    mapping: { employee_key: { column: 1 }, time: { column: 2 } }\n"
)

// TestReadmeYAML: every yaml block in the README is YAML, and every one
// that is a config, or a part of one, is a config hrsync accepts: what a
// reader copies works.
func TestReadmeYAML(t *testing.T) {
	blocks := readmeYAML(t)
	if len(blocks) < 8 {
		t.Fatalf("found %d yaml blocks in README.md", len(blocks))
	}
	parsed := 0
	for _, b := range blocks {
		var top map[string]any
		if err := yaml.Unmarshal([]byte(b.text), &top); err != nil {
			t.Errorf("README.md:%d: not YAML: %v", b.line, err)
			continue
		}
		if elisions.MatchString(b.text) {
			continue // a sketch with its details elsewhere
		}
		text := b.text
		if _, ok := top["hr"]; !ok {
			text = readmeHR + text
		}
		_, src := top["sources"]
		_, push := top["push_users"]
		if !src && !push {
			text += readmeSource
		}
		dir := t.TempDir()
		for _, m := range envRef.FindAllStringSubmatch(text, -1) {
			t.Setenv(m[1], "from-the-environment")
		}
		for _, m := range fileRef.FindAllStringSubmatch(text, -1) {
			p := filepath.Join(dir, m[1])
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("from-a-file\n"), 0o600)
		}
		for _, m := range caRef.FindAllStringSubmatch(text, -1) {
			// A CA bundle must hold a certificate: any will do.
			p := filepath.Join(dir, m[1])
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, testCA(t), 0o600)
		}
		if _, err := config.Parse(filepath.Join(dir, "hrsync.yaml"), []byte(text)); err != nil {
			t.Errorf("README.md:%d: the block is not a config hrsync accepts: %v\n%s", b.line, err, text)
			continue
		}
		parsed++
		t.Logf("README.md:%d: parsed", b.line)
	}
	if parsed < 6 {
		t.Errorf("only %d README blocks went through config.Parse", parsed)
	}
}

// testCA is a PEM certificate, the one of a throwaway TLS test server.
func testCA(t *testing.T) []byte {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
}
