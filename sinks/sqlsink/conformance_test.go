package sqlsink

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
)

// openFunc opens a sink on the backend under test with cfg (URL filled in
// by the backend) and drops the tables it used when the test ends.
type openFunc func(t *testing.T, cfg Config) (*Sink, error)

// backends lists every database the conformance suite runs on; those not
// reachable are skipped with the reason.
type backend struct {
	name, url string
	env       string // the variable that sets url
	open      openFunc
}

func backends(t *testing.T) []backend {
	mysqlURL := envOr("HRSYNC_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
	pgURL := envOr("HRSYNC_TEST_POSTGRES_URL", "postgres://root@127.0.0.1:5432/test?sslmode=disable")
	mssqlURL, oraURL := os.Getenv("HRSYNC_TEST_MSSQL_DSN"), os.Getenv("HRSYNC_TEST_ORACLE_DSN")
	return []backend{
		{"sqlite", "", "", sqliteBackend(filepath.Join(t.TempDir(), "hr.db"), false)},
		{"sqlite-returning", "", "", sqliteBackend(filepath.Join(t.TempDir(), "hr2.db"), true)},
		{"mariadb", mysqlURL, "HRSYNC_TEST_MYSQL_URL", serverBackend(mysqlURL, pathBulk)},
		{"mariadb-insert", mysqlURL, "HRSYNC_TEST_MYSQL_URL", serverBackend(mysqlURL, pathInsert)},
		{"mysql-preselect", mysqlURL, "HRSYNC_TEST_MYSQL_URL", serverBackend(mysqlURL, pathPreselect)},
		{"postgres", pgURL, "HRSYNC_TEST_POSTGRES_URL", serverBackend(pgURL, pathBulk)},
		{"postgres-insert", pgURL, "HRSYNC_TEST_POSTGRES_URL", serverBackend(pgURL, pathInsert)},
		{"sqlserver", mssqlURL, "HRSYNC_TEST_MSSQL_DSN", serverBackend(mssqlURL, pathBulk)},
		{"oracle", oraURL, "HRSYNC_TEST_ORACLE_DSN", serverBackend(oraURL, pathBulk)},
	}
}

// write is WritePunches with the outcomes as the tests check them: for
// each punch, whether this write stored it.
func write(ctx context.Context, s *Sink, batch []mapping.Punch) ([]bool, error) {
	out := make([]sinks.Outcome, len(batch))
	if err := s.WritePunches(ctx, batch, out); err != nil {
		return nil, err
	}
	stored := make([]bool, len(out))
	for i, o := range out {
		stored[i] = o == storedNow
	}
	return stored, nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// sqliteBackend opens one database file for the whole suite, so that a
// test can open it twice; tests use their own tables in it.
// With returningOnly it takes the path used after a miscount.
func sqliteBackend(path string, returningOnly bool) openFunc {
	return func(t *testing.T, cfg Config) (*Sink, error) {
		cfg.URL = "sqlite://" + path
		s, err := Open(context.Background(), cfg)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { s.Close() })
		if returningOnly {
			s.plan.insert = nil
		}
		return s, nil
	}
}

// writePath is the way a server backend writes punches.
type writePath int

const (
	pathBulk      writePath = iota // the database's own choice: bulk load where there is one
	pathInsert                     // INSERT, as after the database refused bulk loads
	pathPreselect                  // INSERT without RETURNING: MySQL, MariaDB before 10.5
)

// serverBackend opens url, which the suite has checked is reachable, and
// forces the write path.
func serverBackend(url string, path writePath) openFunc {
	return func(t *testing.T, cfg Config) (*Sink, error) {
		cfg.URL = url
		if cfg.Create == nil {
			yes := true
			cfg.Create = &yes
		}
		t.Cleanup(func() { dropTables(url, cfg.Punches.Table, cfg.Employees.Table) })
		s, err := Open(context.Background(), cfg)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { s.Close() })
		if path != pathBulk {
			s.bulk = nil
		}
		if path == pathPreselect {
			s.plan.returning = nil
		}
		return s, nil
	}
}

func dropTables(url string, tables ...string) {
	db, err := sqldb.Open(context.Background(), url, sqldb.Credentials{})
	if err != nil {
		return
	}
	defer db.Close()
	for _, table := range tables {
		if q, err := db.Dialect.Quote("cleanup", table); err == nil {
			db.ExecContext(context.Background(), "DROP TABLE "+q)
		}
	}
}

// reachable skips the test when the backend's server is not configured
// or does not answer.
func reachable(t *testing.T, b backend) {
	t.Helper()
	if b.env == "" {
		return // SQLite: always runs
	}
	if b.url == "" {
		t.Skipf("%s skipped: set %s to a database URL to run it", b.name, b.env)
	}
	url := b.url
	db, err := sqldb.Open(context.Background(), url, sqldb.Credentials{})
	if err != nil {
		t.Skipf("%s not reachable: %v", sqldb.Redact(url), err)
	}
	db.Close()
}

func TestConformance(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			runConformance(t, b.open)
		})
	}
}

// uniqueName gives a table name no other test (or package) uses.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, time.Now().UnixNano()%1e9, rand.IntN(1e6))
}

// testConfig names fresh tables so parallel runs do not collide.
func testConfig() Config {
	return Config{
		Employees: EmployeesTable{Table: uniqueName("emp")},
		Punches:   PunchesTable{Table: uniqueName("punch")},
	}
}

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// punches makes n punches from the i-th on, sorted by time, spread over 7
// employees and 2 devices (one of them with an empty id).
func punches(from, n int) []mapping.Punch {
	out := make([]mapping.Punch, n)
	for k := range out {
		i := from + k
		out[k] = mapping.Punch{
			EmployeeID: fmt.Sprintf("E%03d", i%7),
			SourceKey:  fmt.Sprintf("%06d", i%7),
			Time:       t0.Add(time.Duration(i) * time.Minute),
			Direction:  mapping.Directions[i%len(mapping.Directions)],
			DeviceID:   []string{"", "gate-1"}[i%2],
			Source:     "gate",
			Origin:     mapping.Origin{Source: "gate", File: "a.txt", Line: i + 1},
		}
	}
	return out
}

func all(v []bool, want bool) bool {
	for _, b := range v {
		if b != want {
			return false
		}
	}
	return true
}

func countRows(t *testing.T, s *Sink) int {
	t.Helper()
	var n int
	if err := s.db.GetContext(context.Background(), &n, "SELECT COUNT(*) FROM "+s.st.p.table); err != nil {
		t.Fatal(err)
	}
	return n
}

func runConformance(t *testing.T, open openFunc) {
	ctx := context.Background()
	mustOpen := func(t *testing.T, cfg Config) *Sink {
		t.Helper()
		s, err := open(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	t.Run("insert then re-insert", func(t *testing.T) {
		s := mustOpen(t, testConfig())
		batch := punches(0, 20)
		got, err := write(ctx, s, batch)
		if err != nil {
			t.Fatal(err)
		}
		if !all(got, true) {
			t.Fatalf("first write: inserted = %v, want all true", got)
		}
		got, err = write(ctx, s, batch)
		if err != nil {
			t.Fatal(err)
		}
		if !all(got, false) {
			t.Fatalf("second write: inserted = %v, want all false (duplicates)", got)
		}
		if n := countRows(t, s); n != 20 {
			t.Fatalf("table has %d rows, want 20", n)
		}
	})

	t.Run("stored values", func(t *testing.T) {
		s := mustOpen(t, testConfig())
		s.now = func() time.Time { return time.Date(2026, 3, 2, 1, 2, 3, 0, time.FixedZone("ICT", 7*3600)) }
		p := punches(3, 1)[0]
		p.Time = time.Date(2026, 3, 1, 15, 4, 5, 0, time.FixedZone("ICT", 7*3600)) // 08:04:05 UTC
		if _, err := write(ctx, s, []mapping.Punch{p}); err != nil {
			t.Fatal(err)
		}
		var when, at, emp, dir, dev, src, key any
		row := s.db.QueryRowxContext(ctx, "SELECT punch_time, imported_at, employee_id, direction, device_id, source, source_key FROM "+s.st.p.table)
		if err := row.Scan(&when, &at, &emp, &dir, &dev, &src, &key); err != nil {
			t.Fatal(err)
		}
		tw, err := s.clock.Read(when)
		if err != nil {
			t.Fatal(err)
		}
		ta, err := s.atClock.Read(at)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{tw.Format(time.RFC3339), ta.Format(time.RFC3339), text(emp), text(dir), text(dev), text(src), text(key)}
		want := []string{"2026-03-01T08:04:05Z", "2026-03-01T18:02:03Z", "E003", "break_in", "gate-1", "gate", "000003"}
		if !slices.Equal(got, want) {
			t.Fatalf("stored %q, want %q", got, want)
		}
	})

	t.Run("partial overlap", func(t *testing.T) {
		s := mustOpen(t, testConfig())
		if _, err := write(ctx, s, punches(0, 10)); err != nil {
			t.Fatal(err)
		}
		got, err := write(ctx, s, punches(5, 10))
		if err != nil {
			t.Fatal(err)
		}
		want := []bool{false, false, false, false, false, true, true, true, true, true}
		if !slices.Equal(got, want) {
			t.Fatalf("inserted = %v, want %v", got, want)
		}
		// Same time and employee, another device: a different punch.
		p := punches(0, 1)
		p[0].DeviceID = "gate-9"
		got, err = write(ctx, s, p)
		if err != nil {
			t.Fatal(err)
		}
		if !got[0] {
			t.Fatal("a punch on another device was taken for a duplicate")
		}
		if n := countRows(t, s); n != 16 {
			t.Fatalf("table has %d rows, want 16", n)
		}
	})

	t.Run("batch larger than the parameter limit", func(t *testing.T) {
		cfg := testConfig()
		cfg.BatchSize = 1 << 20
		s := mustOpen(t, cfg)
		limit := s.db.Dialect.MaxParams() / len(PunchFields)
		if s.BatchSize() > limit {
			t.Fatalf("batch size %d exceeds the %d rows the parameter limit allows", s.BatchSize(), limit)
		}
		n := limit + 100
		if n > 20000 {
			n = 20000
		}
		first := punches(0, n)
		if _, err := write(ctx, s, first[:n/2]); err != nil {
			t.Fatal(err)
		}
		got, err := write(ctx, s, first)
		if err != nil {
			t.Fatal(err)
		}
		if !all(got[:n/2], false) || !all(got[n/2:], true) {
			t.Fatalf("over %d rows: first half should be duplicates, second half new", n)
		}
		if c := countRows(t, s); c != n {
			t.Fatalf("table has %d rows, want %d", c, n)
		}
	})

	t.Run("custom table and column names", func(t *testing.T) {
		cfg := testConfig()
		cfg.Punches.Columns = map[string]string{
			"employee_id": "EmpCode", "punch_time": "check_time", "device_id": "terminal",
			"direction": "io_type", "source": "", "source_key": "raw_code", "imported_at": "loaded_at",
		}
		cfg.Employees.Columns = map[string]string{"id": "emp_code", "name": "full_name", "status": "active_flag"}
		s := mustOpen(t, cfg)
		got, err := write(ctx, s, punches(0, 4))
		if err != nil {
			t.Fatal(err)
		}
		if !all(got, true) {
			t.Fatalf("inserted = %v", got)
		}
		if got, _ := write(ctx, s, punches(0, 4)); !all(got, false) {
			t.Fatalf("re-insert: inserted = %v", got)
		}
		if err := s.UpsertEmployees(ctx, []mapping.Employee{{ID: "E001", Name: "An", Status: "active"}}); err != nil {
			t.Fatal(err)
		}
		emps, err := s.Employees(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(emps) != 1 || emps[0].ID != "E001" || emps[0].Name != "An" || emps[0].Status != "active" {
			t.Fatalf("employees = %+v", emps)
		}
	})

	t.Run("bad identifier rejected", func(t *testing.T) {
		cfg := testConfig()
		cfg.Punches.Columns = map[string]string{"device_id": "dev; DROP TABLE x"}
		_, err := open(t, cfg)
		if err == nil || !strings.Contains(err.Error(), "punches.columns.device_id") {
			t.Fatalf("err = %v, want one naming punches.columns.device_id", err)
		}
		cfg = testConfig()
		cfg.Employees.Table = "emp-loyees"
		_, err = open(t, cfg)
		if err == nil || !strings.Contains(err.Error(), "employees.table") {
			t.Fatalf("err = %v, want one naming employees.table", err)
		}
	})

	t.Run("missing table without create", func(t *testing.T) {
		cfg := testConfig()
		no := false
		cfg.Create = &no
		_, err := open(t, cfg)
		if err == nil || !strings.Contains(err.Error(), cfg.Punches.Table) || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("err = %v, want one saying table %s does not exist", err, cfg.Punches.Table)
		}
	})

	t.Run("missing column", func(t *testing.T) {
		cfg := testConfig()
		s := mustOpen(t, cfg)
		s.Close()
		no := false
		cfg.Create = &no
		cfg.Punches.Columns = map[string]string{"source_key": "badge_raw"}
		_, err := open(t, cfg)
		if err == nil || !strings.Contains(err.Error(), "badge_raw") {
			t.Fatalf("err = %v, want one naming column badge_raw", err)
		}
	})

	t.Run("directory from table and from query", func(t *testing.T) {
		cfg := testConfig()
		s := mustOpen(t, cfg)
		want := []mapping.Employee{
			{ID: "E001", AttendanceNo: "0001", Name: "Nguyễn Văn An", Status: "active", Department: "Cutting", Email: "an@example.com"},
			{ID: "E002", AttendanceNo: "0002", Name: "Trần Thị Bình", Status: "resigned", ResignationDate: "2026-01-31"},
		}
		if err := s.UpsertEmployees(ctx, want); err != nil {
			t.Fatal(err)
		}
		want[0].Department = "Sewing" // upsert replaces
		if err := s.UpsertEmployees(ctx, want[:1]); err != nil {
			t.Fatal(err)
		}
		got, err := s.Employees(ctx)
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(got, func(a, b mapping.Employee) int { return strings.Compare(a.ID, b.ID) })
		if len(got) != 2 || !sameEmployee(got[0], want[0]) || !sameEmployee(got[1], want[1]) {
			t.Fatalf("from table: got %+v, want %+v", got, want)
		}

		qcfg := cfg
		qcfg.Employees = EmployeesTable{Query: fmt.Sprintf(
			"SELECT id, name AS name, department AS department, status FROM %s WHERE status = 'active'", s.emp.table)}
		qs, err := open(t, qcfg)
		if err != nil {
			t.Fatal(err)
		}
		got, err = qs.Employees(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != "E001" || got[0].Department != "Sewing" || got[0].Name != want[0].Name {
			t.Fatalf("from query: got %+v", got)
		}
		if err := qs.UpsertEmployees(ctx, want); err == nil {
			t.Fatal("upsert into a query directory should fail")
		}
	})
}

func sameEmployee(a, b mapping.Employee) bool {
	a.Extra, b.Extra = nil, nil
	return reflect.DeepEqual(a, b)
}

// A key repeated within one batch breaks the caller's promise; the count
// check notices, and the transaction runs again by RETURNING, which marks
// the second copy a duplicate instead of miscounting.
func TestRepeatedKeyFallsBackToReturning(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "sqlite://" + filepath.Join(t.TempDir(), "hr.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := punches(0, 3)
	batch := append(p, p[1])
	got, err := write(ctx, s, batch)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, true, true, false}; !slices.Equal(got, want) {
		t.Fatalf("inserted = %v, want %v", got, want)
	}
}

// Unsorted input spreads each chunk's time range over many stored rows;
// the writer then switches to RETURNING and stays exact.
func TestCrowdedRangeStaysExact(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{URL: "sqlite://" + filepath.Join(t.TempDir(), "hr.db"), BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all := punches(0, 200)
	var odd, mixed []mapping.Punch
	for i, p := range all {
		if i%2 == 1 {
			odd = append(odd, p)
		}
	}
	if _, err := write(ctx, s, odd); err != nil {
		t.Fatal(err)
	}
	// First and last of the day in every chunk: each range spans it all.
	for i := 0; i < 100; i++ {
		mixed = append(mixed, all[i], all[199-i])
	}
	got, err := write(ctx, s, mixed[:100])
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range mixed[:100] {
		isNew := (p.Time.Sub(t0)/time.Minute)%2 == 0
		if got[i] != isNew {
			t.Fatalf("punch at %s: inserted = %v, want %v", p.Time, got[i], isNew)
		}
	}
}
