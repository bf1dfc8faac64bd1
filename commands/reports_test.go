package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// A report named for a format hrsync does not write is a usage error that
// names the extension and the formats, and nothing is written.
func TestReportFormatsRefused(t *testing.T) {
	cfg := quickstart(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want []string // in stderr
	}{
		{"import into .xlsx", []string{"import", "--config", cfg, "--report", filepath.Join(dir, "out.xlsx")}, []string{".xlsx", "csv or jsonl"}},
		{"import --report-format xlsx", []string{"import", "--config", cfg, "--report-format", "xlsx"}, []string{`"xlsx"`, "want csv, jsonl"}},
		{"map-check into .pdf", []string{"map-check", "--config", cfg, "--report", filepath.Join(dir, "x.pdf")}, []string{".pdf", ".xlsx, .csv or .jsonl"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(tc.args...)
			if code != exitcode.Usage {
				t.Fatalf("exit %d, want %d\n%s", code, exitcode.Usage, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr does not name %s:\n%s", w, errOut)
				}
			}
		})
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("refused runs left files: %v", ents)
	}
}

// import --dry-run says duplicate for what the HR database holds, and
// before it exists says once why it cannot tell.
func TestImportDryRunAgainstTheHRDatabase(t *testing.T) {
	cfg := quickstart(t)
	code, _, errOut := run("import", "--config", cfg, "--dry-run")
	if code != exitcode.Rejected || strings.Count(errOut, "does not exist yet") != 1 || !strings.Contains(errOut, "would_import 390") {
		t.Fatalf("exit %d before the HR database exists:\n%s", code, errOut)
	}
	if code, _, errOut = run("import", "--config", cfg); code != exitcode.Rejected {
		t.Fatalf("import: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run("import", "--config", cfg, "--dry-run")
	if code != exitcode.Rejected || !strings.Contains(errOut, "duplicate 391") || strings.Contains(errOut, "would_import") || strings.Contains(errOut, "note:") {
		t.Fatalf("exit %d after the import:\n%s", code, errOut)
	}
}
