package layers

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// shapeRules are facts the tree declares in one place; each names the
// files that may say it.
var shapeRules = []struct {
	pattern *regexp.Regexp
	allowed []string // path prefixes, relative to the module
	why     string
}{
	{regexp.MustCompile(`\brunlock\.Acquire\(`), []string{"importer/session.go", "internal/bench/statebench/"}, // which measures it
		"the run lock is taken by importer.BeginRun, the one run lifecycle"},
	{regexp.MustCompile(`\.(StartRun|FinishRun)\(`), []string{"importer/session.go", "importer/state/"},
		"runs are recorded by importer.BeginRun and Run.End only"},
	{regexp.MustCompile(`\bos\.Exit\(`), []string{"cmd/hrsync/main.go", "cmd/zkemu/", "internal/bench/", "importer/deliverbench/", "*/bench/", "deploy/kubernetes/schemas/gen/"},
		"only main exits: everything below returns errors"},
	{regexp.MustCompile(`ExitCode\(\) int\b|\bexit(Code)?\s*:?=\s*[0-9]\b|\bExit[A-Z][a-z]+\s*=\s*[0-9]`), []string{"internal/exitcode/"},
		"exit codes are declared once, in internal/exitcode, and read from typed errors"},
}

// TestOneDeclarationPerFact fails when a file outside its rule's allowed
// files takes the run lock, records a run, exits the process or spells an
// exit code: each has one home, and a second one is how the frame grew by
// copying.
func TestOneDeclarationPerFact(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH; the test finds the module with `go env GOMOD`")
	}
	root := moduleRoot(t, gobin)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, root+string(filepath.Separator)))
		for _, r := range shapeRules {
			if allowedFile(rel, r.allowed) {
				continue
			}
			for i, line := range strings.Split(string(src), "\n") {
				if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "//") {
					continue
				}
				if r.pattern.MatchString(line) {
					t.Errorf("%s:%d: %s: %s", rel, i+1, strings.TrimSpace(line), r.why)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// allowedFile reports whether rel is among the prefixes; "*/bench/" matches
// a bench folder anywhere.
func allowedFile(rel string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(p, "*/") {
			if strings.Contains("/"+rel, "/"+p[2:]) {
				return true
			}
			continue
		}
		if strings.HasPrefix(rel, p) {
			return true
		}
	}
	return false
}
