package commands

import (
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestOutputFlag: every --output refuses a value its command does not print
// as a usage error (exit 2) before touching the config, and completes the
// values it takes.
func TestOutputFlag(t *testing.T) {
	cfg := quickstart(t)
	for _, tc := range []struct {
		cmd  []string
		want []string // the values completion offers
	}{
		{[]string{"runs", "list"}, []string{"table", "json"}},
		{[]string{"runs", "show", "1"}, []string{"table", "json"}},
		{[]string{"events", "list"}, []string{"table", "json"}},
		{[]string{"events", "show", "1"}, []string{"table", "json"}},
		{[]string{"retry"}, []string{"table", "json"}},
		{[]string{"import"}, []string{"json"}},
		{[]string{"resync"}, []string{"json"}},
		{[]string{"push-users"}, []string{"json"}},
		{[]string{"map-check"}, []string{"json"}},
	} {
		name := strings.Join(tc.cmd, " ")
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(append(append([]string{}, tc.cmd...), "--config", cfg, "--output", "xml")...)
			want := "want " + strings.Join(tc.want, " or ")
			if code != exitcode.Usage || !strings.Contains(errOut, `invalid argument "xml" for "--output" flag: `+want) {
				t.Fatalf("--output xml: exit %d, want %d\nstdout: %s\nstderr: %s", code, exitcode.Usage, out, errOut)
			}
			code, out, errOut = run(append(append([]string{"__complete"}, tc.cmd...), "--output", "")...)
			if code != exitcode.OK || out != strings.Join(tc.want, "\n")+"\n:4\n" {
				t.Fatalf("completion: exit %d\nstdout: %q\nstderr: %s", code, out, errOut)
			}
		})
	}
	// The commands with a table default still refuse an empty value.
	if code, _, errOut := run("runs", "list", "--config", cfg, "--output="); code != exitcode.Usage {
		t.Fatalf("runs list --output=: exit %d: %s", code, errOut)
	}
	if code, out, errOut := run("runs", "list", "--config", cfg, "--output", "json"); code != exitcode.OK || out != "[]\n" {
		t.Fatalf("runs list --output json: exit %d\nstdout: %q\nstderr: %s", code, out, errOut)
	}
}
