package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// storedConfig is setup's config with the hr: section given (its url and
// tables); the directory stays in employees.csv.
func storedConfig(t *testing.T, hrSection, punches string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(employeesCSV), 0o644)
	os.WriteFile(filepath.Join(dir, "punches.csv"), []byte(punches), 0o644)
	text := "hr:\n  " + hrSection + `
  employees: { file: employees.csv }
lock_wait: 1s
sources:
  gate:
    path: punches.csv
    mapping:
      employee_key: { column: Pin }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
`
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(text), 0o644)
	c, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const twoPunches = "Pin,Time\n1001,2025-12-01 08:00:00\n1002,2025-12-01 08:05:00\n"

// A dry run over punches the HR table holds says duplicate, as the import
// would, and writes nothing; the new punch is would_import.
func TestDryRunSaysDuplicateForStoredPunches(t *testing.T) {
	cases := []struct{ name, url string }{{"sqlite", ""}}
	cases = append(cases, hrServers...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			hrSection, count := "url: sqlite://hr.db", func() int { return -1 }
			if c.url != "" {
				hrSection, count = serverHR(t, c.url)
			}
			cfg := storedConfig(t, hrSection, twoPunches)
			if res, err := Import(ctx, Options{Config: cfg}); err != nil || res.Counts[mapping.Imported] != 2 {
				t.Fatalf("first import: %v %v", res.Counts, err)
			}
			before := count()
			os.WriteFile(filepath.Join(cfg.Dir, "punches.csv"), []byte(twoPunches+"1001,2025-12-01 17:00:00\n"), 0o644)
			res, err := Import(ctx, Options{Config: cfg, DryRun: true, NoState: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts[mapping.Duplicate] != 2 || res.Counts[mapping.WouldImport] != 1 || res.StoredNote != "" {
				t.Fatalf("dry run counts %v, note %q: want duplicate 2, would_import 1", res.Counts, res.StoredNote)
			}
			if after := count(); after != before {
				t.Fatalf("the dry run changed the punch table: %d rows, then %d", before, after)
			}
		})
	}
}

// With no HR database, or no punch table in it, a dry run keeps
// would_import, says why once, and creates neither.
func TestDryRunWithoutHRTableSaysWhy(t *testing.T) {
	ctx := context.Background()
	cfg := storedConfig(t, "url: sqlite://hr.db", twoPunches)
	res, err := Import(ctx, Options{Config: cfg, DryRun: true, NoState: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[mapping.WouldImport] != 2 || !strings.Contains(res.StoredNote, "would_import") {
		t.Fatalf("counts %v, note %q", res.Counts, res.StoredNote)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "hr.db")); !os.IsNotExist(err) {
		t.Fatalf("the dry run created the HR database: %v", err)
	}
	// A database without the punch table: named, and left as it was.
	os.WriteFile(filepath.Join(cfg.Dir, "hr.db"), nil, 0o644)
	if res, err = Import(ctx, Options{Config: cfg, DryRun: true, NoState: true}); err != nil {
		t.Fatal(err)
	}
	if res.Counts[mapping.WouldImport] != 2 || !strings.Contains(res.StoredNote, "attendance_punches") {
		t.Fatalf("counts %v, note %q", res.Counts, res.StoredNote)
	}
	if fi, err := os.Stat(filepath.Join(cfg.Dir, "hr.db")); err != nil || fi.Size() != 0 {
		t.Fatalf("the dry run wrote into the HR database: %v", err)
	}

	for _, s := range hrServers {
		t.Run(s.name, func(t *testing.T) {
			db, err := sqldb.Open(ctx, s.url, sqldb.Credentials{})
			if err != nil {
				t.Skipf("%s not reachable: %v", s.url, err)
			}
			defer db.Close()
			table := fmt.Sprintf("absent_%d", time.Now().UnixNano()%1e12)
			cfg := storedConfig(t, fmt.Sprintf("url: %q\n  create_tables: true\n  punches: { table: %s }", s.url, table), twoPunches)
			res, err := Import(ctx, Options{Config: cfg, DryRun: true, NoState: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts[mapping.WouldImport] != 2 || !strings.Contains(res.StoredNote, table) {
				t.Fatalf("counts %v, note %q: want would_import 2 and a note naming %s", res.Counts, res.StoredNote, table)
			}
			if _, err := db.ExecContext(ctx, "SELECT 1 FROM "+table); err == nil {
				db.ExecContext(ctx, "DROP TABLE "+table)
				t.Fatalf("the dry run created table %s", table)
			}
		})
	}
}
