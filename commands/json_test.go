package commands

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// decode parses stdout as one JSON object, or fails the test.
func decode(t *testing.T, what, stdout string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		t.Fatalf("%s: stdout is not JSON: %v\n%s", what, err, stdout)
	}
}

// TestJSONOutputOfPullConfigCheckVersion: the three commands print JSON on
// stdout when asked.
func TestJSONOutputOfPullConfigCheckVersion(t *testing.T) {
	code, out, _ := run("version", "--output", "json")
	var v struct{ Version, Go, OS, Arch string }
	if decode(t, "version", out, &v); code != exitcode.OK || v.Version != Version || v.Go == "" || v.OS == "" {
		t.Fatalf("version: exit %d %+v", code, v)
	}

	cfg := quickstart(t)
	code, out, _ = run("config", "check", "--config", cfg, "--output", "json")
	var c configSummary
	if decode(t, "config check", out, &c); code != exitcode.OK || !c.Valid || c.Config != cfg || len(c.Sources) != 1 || c.Sources[0].Name != "gate" {
		t.Fatalf("config check: exit %d %+v", code, c)
	}

	w := newPullWorld(t, "")
	w.punches(t, w.remote, "punches_1.csv", 1, 10)
	n, out, _ := w.run(t, "pull", "--output", "json")
	code = exitcode.Code(n)
	var p struct {
		Counts map[string]int64 `json:"counts"`
		Files  []struct {
			Source, Remote, Outcome string
			SHA256                  string `json:"sha256"`
		} `json:"files"`
		Report   string `json:"report"`
		ExitCode int    `json:"exit_code"`
	}
	decode(t, "pull", out, &p)
	if code != exitcode.OK || p.Counts["pulled"] != 1 || len(p.Files) != 1 || p.Files[0].Outcome != "pulled" || len(p.Files[0].SHA256) != 64 ||
		p.ExitCode != 0 || p.Report == "" {
		t.Fatalf("pull: exit %d %+v", code, p)
	}
}

// TestJSONErrorOnFailure: with --output json, a usage error (2) or a failure
// (1) is a JSON object on stdout as well as the message on stderr, whatever
// refused the command.
func TestJSONErrorOnFailure(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("hr:\n  url: sqlite://x.db\n  colour: blue\n"), 0o644)
	notAFolder := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notAFolder, nil, 0o644)
	cfg := quickstart(t)
	for _, tc := range []struct {
		name string
		args []string
		code exitcode.Code
		want string
	}{
		{"bad config", []string{"config", "check", "--config", bad, "--output", "json"}, exitcode.Usage, `unknown key "colour"`},
		{"bad flag", []string{"import", "--bogus", "--output=json"}, exitcode.Usage, "unknown flag: --bogus"},
		{"failure", []string{"import", "--config", cfg, "--output", "json", "--report", filepath.Join(notAFolder, "r.csv")}, exitcode.Failed, "not a directory"},
		{"runs show", []string{"runs", "show", "7", "--config", cfg, "--output", "json"}, exitcode.Failed, "no run with id 7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			var e struct {
				Error    string        `json:"error"`
				ExitCode exitcode.Code `json:"exit_code"`
			}
			decode(t, tc.name, out, &e)
			if code != tc.code || e.ExitCode != tc.code || !strings.Contains(e.Error, tc.want) || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d (want %d), json %+v\nstderr: %s", code, tc.code, e, errOut)
			}
		})
	}
	// Without --output json, stdout stays empty.
	if code, out, _ := run("config", "check", "--config", bad); code != exitcode.Usage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
}
