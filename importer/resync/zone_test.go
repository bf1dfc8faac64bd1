package resync

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// firstStored is the first punch_time of the table as the database prints
// it, with no driver in between.
func (e *env) firstStored() string {
	e.t.Helper()
	ctx := context.Background()
	hr, err := importer.OpenHR(ctx, e.cfg, false)
	if err != nil {
		e.t.Fatal(err)
	}
	defer hr.Close()
	col := map[string]string{
		sqldb.SQLite:   "punch_time",
		sqldb.MySQL:    "DATE_FORMAT(punch_time, '%Y-%m-%d %H:%i:%s')",
		sqldb.Postgres: "to_char(punch_time, 'YYYY-MM-DD HH24:MI:SS')",
	}[hr.DB().Dialect.Name()]
	var got string
	if err := hr.DB().GetContext(ctx, &got, fmt.Sprintf("SELECT MIN(%s) FROM %s", col, e.table)); err != nil {
		e.t.Fatal(err)
	}
	return got
}

// Punches imported from a source in Asia/Ho_Chi_Minh are stored in the HR
// database's naive columns as the wall clock of hr.timezone (by default the
// top-level timezone, on every backend; UTC wherever it says UTC), a
// second import finds them all stored, and resync sees them unchanged.
func TestImportedPunchesInHRZone(t *testing.T) {
	for _, b := range backends() {
		for _, tc := range []struct{ name, hrKeys, sqlite, server string }{
			{"default", "", "2025-12-01 08:00:00", "2025-12-01 08:00:00"},
			{"hcm", "  timezone: Asia/Ho_Chi_Minh\n", "2025-12-01 08:00:00", "2025-12-01 08:00:00"},
			{"utc", "  timezone: UTC\n", "2025-12-01 01:00:00", "2025-12-01 01:00:00"},
		} {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				e := newEnvWith(t, b, tc.hrKeys)
				ctx := context.Background()
				imp := func() importer.Result {
					res, err := importer.Import(ctx, importer.Options{Config: e.cfg, ReportPath: filepath.Join(t.TempDir(), "report.csv")})
					if err != nil {
						t.Fatal(err)
					}
					return res
				}
				if c := imp().Counts; c[mapping.Imported] != 8 {
					t.Fatalf("first import: %v, want 8 imported", c)
				}
				want := tc.server
				if b.name == "sqlite" {
					want = tc.sqlite
				}
				if got := e.firstStored(); got != want {
					t.Errorf("08:00 in Ho Chi Minh City stored as %s, want %s", got, want)
				}
				if c := imp().Counts; c[mapping.Imported] != 0 || c[mapping.Duplicate] != 8 {
					t.Fatalf("second import: %v, want 8 duplicates", c)
				}
				res, err := e.run(Options{Filter: production(), Prune: true})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := counts(res), "unchanged=6 unmapped=1"; got != want {
					t.Errorf("resync counts %s, want %s", got, want)
				}
			})
		}
	}
}
