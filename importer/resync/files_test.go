package resync

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
)

// A pulled source's punches move from the inbox to its archive folder once
// imported; resync must still find them there, and must not read the error
// folder or the hidden transfers.
func TestSourceFilesOfAPulledSource(t *testing.T) {
	dir := t.TempDir()
	inbox := filepath.Join(dir, "hrsync-data", "inbox", "gate")
	for _, f := range []string{"b.csv", "a.csv", ".a.csv.partial-1", "archive/old.csv", "error/bad.xlsx", "error/bad.xlsx.reason.txt"} {
		p := filepath.Join(inbox, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(`hr: { url: sqlite://hr.db }
sources:
  gate:
    pull: { url: `+filepath.Join(dir, "remote")+`, pattern: "*.csv" }
    mapping: { employee_key: 1, time: 2 }
`), 0o644)
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := sourceFiles(cfg, cfg.Sources["gate"])
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		rel, _ := filepath.Rel(inbox, f)
		got = append(got, filepath.ToSlash(rel))
	}
	if strings.Join(got, " ") != "a.csv b.csv archive/old.csv" {
		t.Fatalf("files = %v", got)
	}
}
