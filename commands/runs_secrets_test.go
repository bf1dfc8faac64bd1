package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestReadingHistoryNeedsNoSecrets: runs and events read only the run
// state, so a secret that is not set here (an HTTP token in ${ENV}, a
// password file on the production host) does not stop them; import, which
// needs them, still says which one is missing.
func TestReadingHistoryNeedsNoSecrets(t *testing.T) {
	cfg := quickstart(t)
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	yml := strings.Replace(string(b), "hr:\n  url: sqlite://hrsync-data/hr.db", "hr:\n  url: https://hr.example.com/api/punches\n"+
		"  http: { auth: { kind: bearer, token: '${HRSYNC_TEST_NEVER_SET}' } }", 1)
	yml += "  clock_db:\n    url: 'mysql://att@127.0.0.1/att'\n    table: checkinout\n    password_file: " + filepath.Join(t.TempDir(), "nowhere") + "\n" +
		"    mapping: { employee_key: { column: pin }, time: { column: at } }\n"
	if err := os.WriteFile(cfg, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"runs", "list"}, {"events", "list"}} {
		if code, _, errOut := run(append(args, "--config", cfg)...); code != exitcode.OK {
			t.Errorf("%s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
	}
	code, _, errOut := run("import", "--config", cfg)
	if code != exitcode.Usage || !(strings.Contains(errOut, "HRSYNC_TEST_NEVER_SET") || strings.Contains(errOut, "password_file")) {
		t.Errorf("import: exit %d, want %d naming the missing secret: %s", code, exitcode.Usage, errOut)
	}
}
