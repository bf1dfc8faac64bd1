package examples_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/commands"
)

// TestPushUsersExample runs the push-users example as a user would: a dry
// run, the real run, and a rerun that finds nothing left to do.
func TestPushUsersExample(t *testing.T) {
	dir := copyExample(t, "push-users")
	cfg := filepath.Join(dir, "hrsync.yaml")
	run := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := commands.Execute(append([]string{"push-users", "--config", cfg}, args...), strings.NewReader(""), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	report := filepath.Join(dir, "report.csv")

	// 1005 has no password and 1007 joined on 30 February: both rejected
	// (exit 3); 1004 resigned before getting an account: nothing to create.
	code, out := run("--report", report)
	if code != 3 || !strings.Contains(out, "create 4") || !strings.Contains(out, "rejected 2") {
		t.Fatalf("run: exit %d\n%s", code, out)
	}
	rep, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rep, []byte("Pw-100")) || strings.Contains(out, "Pw-100") {
		t.Fatal("a password reached the report or the output")
	}
	if !bytes.Contains(rep, []byte("a new account needs password")) {
		t.Errorf("the report should say what 1005 lacks:\n%s", rep)
	}
	code, out = run("--dry-run", "--deactivate-missing")
	if code != 3 || !strings.Contains(out, "unchanged 5") || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	code, out = run("--output", "json")
	if code != 3 || !strings.Contains(out, `"unchanged": 5`) {
		t.Fatalf("rerun: exit %d\n%s", code, out)
	}
}
