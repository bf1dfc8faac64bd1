package commands

import (
	"os"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestConfigCheckConnect: --connect opens what the config names and says
// what it found; something that cannot be opened fails the check (exit 1)
// with its reason, and nothing is written.
func TestConfigCheckConnect(t *testing.T) {
	cfg := quickstart(t)
	code, out, errOut := run("config", "check", "--connect", "--config", cfg)
	if code != exitcode.OK || !strings.Contains(out, "ok   source gate: 1 files match") ||
		!strings.Contains(out, "not there yet: the first run creates it") || !strings.Contains(out, "ok   employee directory employees.csv:") {
		t.Fatalf("fresh quickstart: exit %d\n%s%s", code, out, errOut)
	}
	if _, err := os.Stat(strings.TrimSuffix(cfg, "hrsync.yaml") + "hrsync-data"); err == nil {
		t.Fatal("--connect wrote the data folder")
	}
	if code, _, errOut := run("import", "--config", cfg); code != exitcode.Rejected {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	if code, out, _ := run("config", "check", "--connect", "--config", cfg); code != exitcode.OK || !strings.Contains(out, "the database answers and has the HR tables") {
		t.Fatalf("after the first run: exit %d\n%s", code, out)
	}

	b, _ := os.ReadFile(cfg)
	broken := string(b) + "  db:\n    url: 'mysql://root:wrong-secret@127.0.0.1:1/test'\n    table: checkinout\n" +
		"    mapping: { employee_key: { column: pin }, time: { column: at } }\n"
	os.WriteFile(cfg, []byte(broken), 0o644)
	code, out, errOut = run("config", "check", "--connect", "--config", cfg)
	if code != exitcode.Failed || !strings.Contains(out, "FAIL source db:") || !strings.Contains(out, "ok   source gate") {
		t.Fatalf("a database that does not answer: exit %d, want %d\n%s%s", code, exitcode.Failed, out, errOut)
	}
	if strings.Contains(out+errOut, "wrong-secret") {
		t.Fatalf("the password was printed:\n%s%s", out, errOut)
	}
}
