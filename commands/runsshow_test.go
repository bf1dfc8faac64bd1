package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestRunsShowLinePastesBack: the command line runs show prints runs again
// when pasted (list flags, a path with spaces, the config that came from
// the environment), secrets stay hidden, and a report deleted since is
// said to be deleted.
func TestRunsShowLinePastesBack(t *testing.T) {
	cfg := quickstart(t)
	t.Setenv("HRSYNC_CONFIG", cfg)
	report := filepath.Join(t.TempDir(), "HR Sync", "today report.csv")
	os.MkdirAll(filepath.Dir(report), 0o755)
	if code, _, errOut := run("import", "--source", "gate", "--report", report); code != exitcode.Rejected {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	code, out, errOut := run("runs", "show", "1")
	if code != exitcode.OK || !strings.Contains(out, "report         "+report+"\n") {
		t.Fatalf("runs show: exit %d\n%s%s", code, out, errOut)
	}
	line := ""
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, "command line   "); ok {
			line = v
		}
	}
	if !strings.Contains(line, "--source=gate") || !strings.Contains(line, `--report="`+report+`"`) || !strings.Contains(line, "--config="+cfg) {
		t.Fatalf("command line %q", line)
	}

	// Pasted into a shell (which drops the quotes), somewhere else.
	os.Remove(report)
	t.Setenv("HRSYNC_CONFIG", filepath.Join(t.TempDir(), "elsewhere.yaml"))
	words := splitWords(line)
	for i, w := range words {
		words[i] = strings.ReplaceAll(w, `"`, "")
	}
	if words[0] != "hrsync" {
		t.Fatalf("words %q", words)
	}
	if code, _, errOut := run(words[1:]...); code != exitcode.Rejected {
		t.Fatalf("the pasted line %q: exit %d: %s", line, code, errOut)
	}
	if _, err := os.Stat(report); err != nil {
		t.Fatalf("the pasted line did not write its report: %v", err)
	}

	os.Remove(report)
	t.Setenv("HRSYNC_CONFIG", cfg)
	code, out, _ = run("runs", "show", "2")
	if code != exitcode.OK || !strings.Contains(out, "report         "+report+" (deleted)\n") {
		t.Fatalf("runs show of a run whose report is gone:\n%s", out)
	}
	if _, out, _ = run("runs", "show", "2", "--output", "json"); !strings.Contains(out, `"report_deleted": true`) {
		t.Fatalf("json:\n%s", out)
	}
}

func TestCommandLineWordsSplitBack(t *testing.T) {
	for _, s := range []string{"", "a", `has space`, `say "hi"`, `C:\HR Sync\x.yaml`, "100%", "a,b"} {
		w := splitWords("x --f=" + quoteWord(s) + " y")
		if len(w) != 3 || w[0] != "x" || w[2] != "y" {
			t.Errorf("%q: words %q", s, w)
		}
	}
	if got := redactArgs(`hrsync x --config="D:\HR Sync\a.yaml" --password "a b"`); strings.Contains(got, "a b") || !strings.Contains(got, `--config="D:\HR Sync\a.yaml"`) {
		t.Errorf("redactArgs: %q", got)
	}
}
