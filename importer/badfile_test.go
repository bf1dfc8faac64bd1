package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
)

// TestOneBadFileInTheInbox: a damaged .xls (one flipped byte in its
// header, which once made the reader allocate 27 GB and die) goes to
// error/ with its reason, and the good files beside it, before and after
// it in name order, are imported and archived.
func TestOneBadFileInTheInbox(t *testing.T) {
	xls, err := os.ReadFile("../sources/sheet/testdata/workbook.xls")
	if err != nil {
		t.Fatal(err)
	}
	xls[0x2F] ^= 0xFF // the count of FAT sectors
	cfg := setup(t, nil, "")
	src := cfg.Sources["gate"]
	src.Path, src.Pull = "", &config.Pull{URL: "remote"}
	inbox := cfg.InboxDir(src)
	os.MkdirAll(inbox, 0o700)
	os.WriteFile(filepath.Join(inbox, "a.csv"), []byte("Pin,Time\n1001,2025-12-01 08:00:00\n"), 0o600)
	os.WriteFile(filepath.Join(inbox, "b.xls"), xls, 0o600)
	os.WriteFile(filepath.Join(inbox, "c.csv"), []byte("Pin,Time\n1002,2025-12-01 08:05:00\n"), 0o600)

	res, err := Import(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[mapping.Imported] != 2 || res.Counts[mapping.Failed] != 1 {
		t.Fatalf("counts %v, want 2 imported and 1 failed", res.Counts)
	}
	for _, name := range []string{"archive/a.csv", "archive/c.csv", "error/b.xls"} {
		if _, err := os.Stat(filepath.Join(inbox, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	reason, err := os.ReadFile(filepath.Join(inbox, "error", "b.xls.reason.txt"))
	if err != nil || !strings.Contains(string(reason), "damaged") {
		t.Errorf("reason %q (%v), want it to say the file is damaged", reason, err)
	}
}

// TestDatabaseSourceWithNothingNew: a database source with no row past its
// watermark is an ordinary run (exit 0, nothing reported), not a file with
// no rows; the fault trials found a re-run after a kill failing on it.
func TestDatabaseSourceWithNothingNew(t *testing.T) {
	src := dbSources(t)[0]
	clock := newClockTable(t, openSource(t, src), src.timeType)
	clock.add("1001", clock.start)
	cfg := dbConfig(t, src, clock.name, "{ column: punched_at }")
	if res := runImport(t, cfg, Options{}); res.Counts[mapping.Imported] != 1 {
		t.Fatalf("first run: %v", res.Counts)
	}
	res := runImport(t, cfg, Options{})
	if res.Counts.Total() != 0 || res.Outcome() != nil {
		t.Fatalf("second run: counts %v, outcome %v; want nothing and no failure", res.Counts, res.Outcome())
	}
}
