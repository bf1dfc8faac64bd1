package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestEveryCommandHasExamples: every command's --help shows how it is
// typed, cobra's completion command and its shells included.
func TestEveryCommandHasExamples(t *testing.T) {
	root := NewRoot(&App{})
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		if c.Name() != "help" && !strings.HasPrefix(c.Name(), "__") {
			n++
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("%q has no examples in its --help", c.CommandPath())
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if n < 20 {
		t.Fatalf("walked %d commands: the tree is missing some", n)
	}
	code, out, _ := run("completion", "--help")
	if code != exitcode.OK || !strings.Contains(out, "Examples:\n  source <(hrsync completion bash)") {
		t.Fatalf("completion --help: exit %d\n%s", code, out)
	}
}

// complete is what the shell gets for a tab after args: the offered
// words, without their descriptions, and the directive.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, errOut := run(append([]string{"__complete"}, args...)...)
	if code != exitcode.OK {
		t.Fatalf("__complete %q: exit %d: %s", args, code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != ":4" {
		t.Fatalf("__complete %q: directive %q, want :4 (no file names)", args, last)
	}
	var words []string
	for _, l := range lines[:len(lines)-1] {
		w, _, _ := strings.Cut(l, "\t")
		words = append(words, w)
	}
	return words
}

// TestFlagValuesComplete: --status, --command, --source (from the config)
// and run and event ids (from the state) complete; with no state yet,
// completion offers nothing and creates nothing.
func TestFlagValuesComplete(t *testing.T) {
	cfg := quickstart(t)
	dataDir := filepath.Join(filepath.Dir(cfg), "hrsync-data")
	if got := complete(t, "runs", "show", "--config", cfg, ""); len(got) != 0 {
		t.Fatalf("run ids before any run: %q", got)
	}
	if _, err := os.Stat(dataDir); err == nil {
		t.Fatal("completion created the data folder")
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"events", "list", "--status", ""}, "pending succeeded failed processed"},
		{[]string{"schedule", "--command", ""}, "import pull pull+import retry"},
		{[]string{"import", "--config", cfg, "--source", ""}, "gate"},
		{[]string{"map-check", "--config", cfg, "--source", ""}, "gate"},
		{[]string{"pull", "--config", cfg, "--source", ""}, "gate"},
		{[]string{"resync", "--config", cfg, "--source", ""}, "gate"},
		{[]string{"import", "--config", cfg, "--source", "gate", "--source", ""}, ""},
	} {
		if got := strings.Join(complete(t, tc.args...), " "); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.args, got, tc.want)
		}
	}

	if code, _, errOut := run("import", "--config", cfg); code != exitcode.Rejected {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	if code, _, errOut := run("import", "--config", cfg, "--dry-run"); code != exitcode.OK && code != exitcode.Rejected {
		t.Fatalf("import --dry-run: exit %d: %s", code, errOut)
	}
	if got := complete(t, "runs", "show", "--config", cfg, ""); strings.Join(got, " ") != "2 1" {
		t.Fatalf("run ids: %q", got)
	}
	if got := complete(t, "runs", "show", "--config", cfg, "1", ""); len(got) != 0 {
		t.Fatalf("a second run id: %q", got)
	}

	http := httpConfig(t)
	failed := enqueue(t, http, "k1")
	pending := enqueue(t, http, "k2")
	markFailed(t, http, failed)
	if got := strings.Join(complete(t, "events", "show", "--config", http, ""), " "); got != fmt.Sprintf("%d %d", pending, failed) {
		t.Errorf("events show: %q", got)
	}
	if got := strings.Join(complete(t, "retry", "--config", http, ""), " "); got != fmt.Sprint(failed) {
		t.Errorf("retry offers the failed events: %q", got)
	}
	if got := complete(t, "retry", "--config", http, fmt.Sprint(failed), ""); len(got) != 0 {
		t.Errorf("retry offers an id typed already: %q", got)
	}
}
