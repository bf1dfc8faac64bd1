package resync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/state"
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

// An archive that lost files import settled (a data folder that did not
// outlive its run, with the state kept elsewhere) stops the resync with
// the folder named, rather than removing their punches from the HR table.
func TestResyncRefusesALostArchive(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
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
	src := cfg.Sources["gate"]
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	inbox := cfg.InboxDir(src)
	local := filepath.Join(inbox, "a.csv")
	if err := st.Ledger().Note(ctx, "gate", "a.csv", "abc", local); err != nil {
		t.Fatal(err)
	}
	if err := st.Ledger().Settle(ctx, "gate", local); err != nil {
		t.Fatal(err)
	}
	err = checkArchive(ctx, st, cfg, src)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(inbox, "archive")) || !strings.Contains(err.Error(), "a.csv first") {
		t.Fatalf("lost archive: %v", err)
	}
	os.MkdirAll(filepath.Join(inbox, "archive"), 0o700)
	os.WriteFile(filepath.Join(inbox, "archive", "a.csv"), []byte("x"), 0o600)
	if err := checkArchive(ctx, st, cfg, src); err != nil {
		t.Fatalf("archive in place: %v", err)
	}
}
