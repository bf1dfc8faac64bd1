package resync

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/gen"
)

// Import records each archived file's span of punch times; resync then
// opens only the archived files that meet its window, and reads a file
// whole again once it changed, or once the mapping that decides its times
// did.
func TestArchivedFilesOutsideTheWindowAreNotRead(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "employees.csv"), employeesCSV)
	inbox := filepath.Join(dir, "data", "inbox", "gate")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	head := "AC-No,Time,State,Device\n"
	write(t, filepath.Join(inbox, "a-nov.csv"), head+"101,2025-11-03 08:00:00,C/In,GATE-1\n102,2025-11-03 08:01:00,C/In,GATE-1\n")
	write(t, filepath.Join(inbox, "b-dec.csv"), head+"101,2025-12-01 08:00:00,C/In,GATE-1\n102,2025-12-01 08:05:00,C/In,GATE-1\n")
	// A row with a key and no time: resync reports it whatever the window.
	write(t, filepath.Join(inbox, "c-bad.csv"), head+"101,2025-10-01 08:00:00,C/In,GATE-1\n102,not a time,C/In,GATE-1\n")
	conf := func(layout string) *config.Config {
		write(t, filepath.Join(dir, "hrsync.yaml"), `timezone: Asia/Ho_Chi_Minh
data_dir: data
hr:
  url: sqlite://hr.db
  create_tables: true
  employees: { file: employees.csv }
sources:
  gate:
    pull: { url: `+filepath.Join(dir, "remote")+`, pattern: "*.csv" }
    format: { type: csv, delimiter: ",", encoding: utf-8 }
`+strings.Replace(gen.MappingYAML(4), "2006-01-02 15:04:05", layout, 1))
		cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := conf("2006-01-02 15:04:05")
	ctx := context.Background()
	if res, err := importer.Import(ctx, importer.Options{Config: cfg, ReportPath: filepath.Join(dir, "import.csv")}); err != nil || res.Counts.Rejected() != 1 {
		t.Fatalf("import: %v, counts %v", err, res.Counts)
	}
	archive := filepath.Join(inbox, importer.ArchiveFolder)
	if got, _ := filepath.Glob(filepath.Join(archive, "*.csv")); len(got) != 3 {
		t.Fatalf("archived: %v", got)
	}
	files := func(cfg *config.Config) string {
		t.Helper()
		sess, err := importer.OpenState(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		from, to, err := window(cfg.Sources["gate"], "2025-12-01", "2025-12-31")
		if err != nil {
			t.Fatal(err)
		}
		fs, err := windowFiles(ctx, sess.State.DB, cfg, cfg.Sources["gate"], from, to)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range fs {
			names = append(names, filepath.Base(f))
		}
		return strings.Join(names, " ")
	}
	if got := files(cfg); got != "b-dec.csv c-bad.csv" {
		t.Fatalf("December reads %q, want b-dec.csv c-bad.csv", got)
	}
	res, err := Run(ctx, Options{Config: cfg, Filter: production(), From: "2025-12-01", To: "2025-12-31", DryRun: true,
		ReportPath: filepath.Join(dir, "resync.csv")})
	if err != nil && res == nil {
		t.Fatal(err)
	}
	if got := counts(res); got != "invalid_time=1 unchanged=2" {
		t.Fatalf("counts %s", got)
	}
	// A file changed since it was archived is read again.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(archive, "a-nov.csv"), later, later); err != nil {
		t.Fatal(err)
	}
	if got := files(cfg); got != "a-nov.csv b-dec.csv c-bad.csv" {
		t.Fatalf("after a change, December reads %q", got)
	}
	// Another time layout may put any file's rows anywhere.
	if got := files(conf("2006-01-02 15:04:05 ")); got != "a-nov.csv b-dec.csv c-bad.csv" {
		t.Fatalf("under another mapping, December reads %q", got)
	}
}
