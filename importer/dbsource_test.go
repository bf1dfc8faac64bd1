package importer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// dbSource is a database the source tests read punches from.
type dbSource struct{ name, url, timeType string }

func dbSources(t *testing.T) []dbSource {
	return []dbSource{
		{"sqlite", "sqlite://" + filepath.Join(t.TempDir(), "clock.db"), "TEXT"},
		{"mariadb", "mysql://root@127.0.0.1:3306/test", "DATETIME"},
		{"postgres", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "TIMESTAMP"},
	}
}

func openSource(t *testing.T, s dbSource) *sqldb.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sqldb.Open(ctx, s.url, sqldb.Credentials{})
	if err != nil {
		t.Skipf("%s not reachable: %v", s.name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// clockTable is a punch-clock table (id, badge, punched_at) in a source database.
type clockTable struct {
	t     *testing.T
	db    *sqldb.DB
	name  string
	next  int
	start time.Time
}

func newClockTable(t *testing.T, db *sqldb.DB, timeType string) *clockTable {
	name := fmt.Sprintf("clock_%d", time.Now().UnixNano()%1e12)
	q := func(s string) string { v, _ := db.Dialect.Quote("t", s); return v }
	ddl := fmt.Sprintf("CREATE TABLE %s (%s INTEGER NOT NULL PRIMARY KEY, %s VARCHAR(20) NULL, %s %s NULL)", q(name), q("id"), q("badge"), q("punched_at"), timeType)
	if _, err := db.ExecContext(context.Background(), ddl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.ExecContext(context.Background(), "DROP TABLE "+q(name)) })
	return &clockTable{t: t, db: db, name: name, next: 1, start: time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)}
}

// add inserts n punches by badges 1001..1005, a minute apart from at;
// badge "" stands for NULL, a zero time for a NULL time.
func (c *clockTable) add(badge string, at time.Time) {
	d := c.db.Dialect
	q := func(s string) string { v, _ := d.Quote("t", s); return v }
	var b, ts any
	if badge != "" {
		b = badge
	}
	if !at.IsZero() {
		ts = at
		if d.Name() == sqldb.SQLite {
			ts = at.Format(sqldb.TimeLayout)
		}
	}
	_, err := c.db.ExecContext(context.Background(), fmt.Sprintf("INSERT INTO %s (%s,%s,%s) VALUES (%s,%s,%s)", q(c.name), q("id"), q("badge"), q("punched_at"),
		d.Placeholder(1), d.Placeholder(2), d.Placeholder(3)), c.next, b, ts)
	if err != nil {
		c.t.Fatal(err)
	}
	c.next++
}

func (c *clockTable) addMany(n int, from time.Time) {
	tx, err := c.db.Begin()
	if err != nil {
		c.t.Fatal(err)
	}
	d := c.db.Dialect
	q := func(s string) string { v, _ := d.Quote("t", s); return v }
	stmt := fmt.Sprintf("INSERT INTO %s (%s,%s,%s) VALUES (%s,%s,%s)", q(c.name), q("id"), q("badge"), q("punched_at"), d.Placeholder(1), d.Placeholder(2), d.Placeholder(3))
	for i := 0; i < n; i++ {
		at := from.Add(time.Duration(i) * time.Minute)
		var ts any = at
		if d.Name() == sqldb.SQLite {
			ts = at.Format(sqldb.TimeLayout)
		}
		if _, err := tx.Exec(stmt, c.next, fmt.Sprint(1001+i%5), ts); err != nil {
			c.t.Fatal(err)
		}
		c.next++
	}
	if err := tx.Commit(); err != nil {
		c.t.Fatal(err)
	}
}

// dbConfig writes an hrsync.yaml reading the clock table into an embedded
// SQLite HR database.
func dbConfig(t *testing.T, src dbSource, table, watermark string) *config.Config {
	return dbConfigInto(t, src, table, watermark, "url: sqlite://hr.db")
}

// dbConfigInto is dbConfig with the hr: section's url (and more) given.
func dbConfigInto(t *testing.T, src dbSource, table, watermark, hr string) *config.Config {
	dir := t.TempDir()
	emp := "id,attendance_no,name,status\n"
	for i := 1001; i <= 1005; i++ {
		emp += fmt.Sprintf("E%d,%d,Person %d,active\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(emp), 0o644); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`timezone: UTC
hr:
  %s
  employees: { file: employees.csv }
sources:
  clock:
    url: %q
    table: %s
    watermark: %s
    mapping:
      employee_key: badge
      time: punched_at
`, hr, src.url, table, watermark)
	path := filepath.Join(dir, "hrsync.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func hrCount(t *testing.T, cfg *config.Config) int {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(cfg.Dir, "hr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM attendance_punches").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func storedWatermark(t *testing.T, cfg *config.Config) string {
	t.Helper()
	st, err := state.Open(context.Background(), filepath.Join(cfg.Resolve(cfg.DataDir), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	v, err := st.Watermark(context.Background(), "clock")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func runImport(t *testing.T, cfg *config.Config, opts Options) Result {
	t.Helper()
	opts.Config = cfg
	opts.ReportPath = filepath.Join(t.TempDir(), "report.csv")
	res, err := Import(context.Background(), opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func TestDatabaseSourceIncremental(t *testing.T) {
	for _, src := range dbSources(t) {
		t.Run(src.name, func(t *testing.T) {
			db := openSource(t, src)
			clock := newClockTable(t, db, src.timeType)
			t0 := clock.start
			clock.add("1001", t0)
			clock.add("1002", t0.Add(time.Minute))
			clock.add("", t0.Add(2*time.Minute))     // NULL key
			clock.add("1003", time.Time{})           // NULL time
			clock.add("9999", t0.Add(3*time.Minute)) // nobody
			clock.add("1004", t0.Add(10*time.Minute))
			cfg := dbConfig(t, src, clock.name, "{ column: punched_at, overlap: 5m }")

			dry := runImport(t, cfg, Options{DryRun: true})
			if dry.Counts[mapping.WouldImport] != 3 || storedWatermark(t, cfg) != "" {
				t.Fatalf("dry run: %v, watermark %q", dry.Counts, storedWatermark(t, cfg))
			}
			first := runImport(t, cfg, Options{})
			c := first.Counts
			if c[mapping.Imported] != 3 || c[mapping.InvalidRow] != 1 || c[mapping.InvalidTime] != 1 || c[mapping.Unmapped] != 1 {
				t.Fatalf("first run counts %v", c)
			}
			if exitcode.For(first.Outcome()) != exitcode.Rejected {
				t.Errorf("exit %d", exitcode.For(first.Outcome()))
			}
			if wm := storedWatermark(t, cfg); !strings.HasPrefix(wm, "2025-03-01 06:10:00") {
				t.Fatalf("watermark %q", wm)
			}
			report, _ := os.ReadFile(first.ReportPath)
			if !strings.Contains(string(report), "invalid_row") || !strings.Contains(string(report), clock.name) {
				t.Errorf("report:\n%s", report)
			}

			// Nothing new: only the overlap (06:05 on) is read again.
			second := runImport(t, cfg, Options{})
			if second.Counts[mapping.Imported] != 0 || second.Counts[mapping.Duplicate] != 1 || second.Counts.Total() != 1 {
				t.Fatalf("second run counts %v", second.Counts)
			}
			// A punch of 06:08 arrives late, inside the overlap; one at 07:00 is new.
			clock.add("1005", t0.Add(8*time.Minute))
			clock.add("1001", t0.Add(time.Hour))
			third := runImport(t, cfg, Options{})
			if third.Counts[mapping.Imported] != 2 || third.Counts[mapping.Duplicate] != 1 {
				t.Fatalf("third run counts %v", third.Counts)
			}
			if n := hrCount(t, cfg); n != 5 {
				t.Errorf("HR has %d punches, want 5", n)
			}
		})
	}
}

func TestDatabaseSourceCrashBetweenCommitAndWatermark(t *testing.T) {
	for _, src := range dbSources(t) {
		t.Run(src.name, func(t *testing.T) {
			db := openSource(t, src)
			clock := newClockTable(t, db, src.timeType)
			const rows = 2*batchRows + 1234
			clock.addMany(rows, clock.start)
			cfg := dbConfig(t, src, clock.name, "{ column: id, kind: id }")

			crash := errors.New("crash after commit")
			calls := 0
			_, err := Import(context.Background(), Options{Config: cfg, ReportPath: filepath.Join(t.TempDir(), "r.csv"),
				afterCommit: func() error {
					calls++
					if calls == 2 {
						return crash
					}
					return nil
				}})
			if !errors.Is(err, crash) {
				t.Fatalf("import: %v", err)
			}
			// The first batch's watermark was saved; the second batch is in
			// the HR database but its watermark is not.
			if wm := storedWatermark(t, cfg); wm != fmt.Sprint(batchRows) {
				t.Fatalf("watermark after the crash %q", wm)
			}
			if n := hrCount(t, cfg); n != 2*batchRows {
				t.Fatalf("HR has %d punches after the crash, want %d", n, 2*batchRows)
			}
			again := runImport(t, cfg, Options{})
			if got := again.Counts[mapping.Duplicate]; got != batchRows {
				t.Errorf("re-run duplicates %d, want %d", got, batchRows)
			}
			if got := again.Counts[mapping.Imported]; got != rows-2*batchRows {
				t.Errorf("re-run imported %d, want %d", got, rows-2*batchRows)
			}
			if n := hrCount(t, cfg); n != rows {
				t.Errorf("HR has %d punches, want %d", n, rows)
			}
			if wm := storedWatermark(t, cfg); wm != fmt.Sprint(rows) {
				t.Errorf("final watermark %q", wm)
			}
		})
	}
}
