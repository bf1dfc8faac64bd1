package resync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/gen"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sinks/sqlsink"
)

// backend is an HR database the suite runs against.
type backend struct {
	name string
	url  func(t *testing.T, dir string) string
}

func backends() []backend {
	return []backend{
		{"sqlite", func(t *testing.T, dir string) string { return "sqlite://" + filepath.Join(dir, "hr.db") }},
		{"mariadb", func(t *testing.T, dir string) string {
			u := os.Getenv("HRSYNC_TEST_MYSQL_URL")
			if u == "" {
				u = "mysql://root@127.0.0.1:3306/test"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			db, err := sqldb.Open(ctx, u, sqldb.Credentials{})
			if err != nil {
				t.Skipf("MariaDB not reachable: %v", err)
			}
			db.Close()
			return u
		}},
		{"postgres", func(t *testing.T, dir string) string {
			u := os.Getenv("HRSYNC_TEST_POSTGRES_URL")
			if u == "" {
				u = "postgres://root@127.0.0.1:5432/test?sslmode=disable"
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			db, err := sqldb.Open(ctx, u, sqldb.Credentials{})
			if err != nil {
				t.Skipf("PostgreSQL not reachable: %v", err)
			}
			db.Close()
			return u
		}},
	}
}

const employeesCSV = `id,attendance_no,name,status,sbu,state,branch,department,sub_department,designation,employee_type
E1,101,An,active,Garments,HCM,Thu Duc,Production,Sewing,Operator,Permanent
E2,102,Binh,Active,Garments,HCM,Thu Duc,production,Cutting,Supervisor,PERMANENT
E3,103,Chi,inactive,Textiles,Dong Nai,Bien Hoa,Production,Sewing,Operator,Contract
E4,104,Dung,active,Textiles,Dong Nai,Bien Hoa,Sales,Retail,Manager,permanent
`

// The source, in Asia/Ho_Chi_Minh (+07:00).
const punchesCSV = `AC-No,Time,State,Device
101,2025-12-01 08:00:00,C/In,GATE-1
102,2025-12-01 08:05:00,C/In,GATE-1
104,2025-12-01 09:00:00,C/In,GATE-3
999,2025-12-01 10:00:00,C/In,GATE-1
101,2025-12-01 17:00:00,C/Out,GATE-1
102,2025-12-01 17:05:00,C/Out,GATE-1
101,2025-12-02 08:00:00,C/In,GATE-1
101,2025-12-02 17:00:00,C/Out,GATE-2
101,2025-12-05 08:00:00,C/In,GATE-1
`

// env is one test's config, data folder and HR table.
type env struct {
	t     *testing.T
	dir   string
	cfg   *config.Config
	table string
}

func newEnv(t *testing.T, b backend) *env {
	t.Helper()
	return newEnvWith(t, b, "")
}

// newEnvWith is newEnv with more keys of the hr: section (indented lines).
func newEnvWith(t *testing.T, b backend, hrKeys string) *env {
	t.Helper()
	dir := t.TempDir()
	url := b.url(t, dir)
	table := fmt.Sprintf("rs_punches_%d", rand.Uint32())
	write(t, filepath.Join(dir, "employees.csv"), employeesCSV)
	write(t, filepath.Join(dir, "punches.csv"), punchesCSV)
	write(t, filepath.Join(dir, "hrsync.yaml"), fmt.Sprintf(`timezone: Asia/Ho_Chi_Minh
data_dir: data
hr:
  url: %s
  create_tables: true
  employees: { file: employees.csv }
  punches: { table: %s }
`+hrKeys+`sources:
  gate:
    path: punches.csv
    format: { type: csv, delimiter: ",", encoding: utf-8 }
`+gen.MappingYAML(4)+`resync:
  profiles:
    sales_manager: { departments: [Sales] }
    thu_duc: { branches: [thu duc] }
`, url, table))
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, cfg: cfg, table: table}
	if !strings.HasPrefix(url, "sqlite") {
		t.Cleanup(func() {
			db, err := sqldb.Open(context.Background(), url, sqldb.Credentials{})
			if err == nil {
				db.Exec("DROP TABLE IF EXISTS " + table)
				db.Close()
			}
		})
	}
	return e
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

var hcm = mustZone("Asia/Ho_Chi_Minh")

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// stored is a punch row as the tests write and compare it: "E1 2025-12-01 08:00 in GATE-1 gate", local time.
type stored string

func (s stored) punch() mapping.Punch {
	f := strings.Fields(string(s))
	t, err := time.ParseInLocation("2006-01-02 15:04", f[1]+" "+f[2], hcm)
	if err != nil {
		panic(err)
	}
	return mapping.Punch{EmployeeID: f[0], Time: t.UTC(), Direction: mapping.Direction(f[3]), DeviceID: f[4], Source: f[5], SourceKey: "k"}
}

// seed is the HR table before each test.
var seed = []stored{
	"E1 2025-12-01 08:00 in GATE-1 gate",    // unchanged
	"E1 2025-12-01 17:00 in GATE-1 gate",    // direction differs -> out
	"E1 2025-12-02 17:00 out GATE-9 gate",   // device differs -> GATE-2
	"E1 2025-12-02 12:00 in GATE-1 gate",    // extra
	"E1 2025-12-02 12:30 in GATE-5 manual",  // another source: never touched
	"E1 2025-11-30 12:00 in GATE-1 gate",    // another day: never touched
	"E1 2025-12-03 06:30 in GATE-1 gate",    // 2025-12-02 23:30 UTC, but 12-03 locally: outside
	"E2 2025-12-01 08:05 in GATE-1 gate",    // unchanged
	"E2 2025-12-01 13:00 in GATE-1 gate",    // extra
	"E4 2025-12-01 12:00 in GATE-3 gate",    // extra of an employee not selected
	"E3 2025-12-01 12:00 in GATE-3 gate",    // inactive, not selected
	"E1 2025-12-01 08:00 in GATE-2 scanner", // same second, another device and source
}

func (e *env) seed(rows []stored) {
	e.t.Helper()
	ctx := context.Background()
	hr, err := importer.OpenHR(ctx, e.cfg, true)
	if err != nil {
		e.t.Fatal(err)
	}
	defer hr.Close()
	batch := make([]mapping.Punch, len(rows))
	for i, r := range rows {
		batch[i] = r.punch()
	}
	if err := hr.WritePunches(ctx, batch, make([]sinks.Outcome, len(batch))); err != nil {
		e.t.Fatal(err)
	}
}

// rows lists the table as stored strings, sorted.
func (e *env) rows() []string {
	e.t.Helper()
	ctx := context.Background()
	hr, err := importer.OpenHR(ctx, e.cfg, false)
	if err != nil {
		e.t.Fatal(err)
	}
	defer hr.Close()
	var out []string
	err = hr.ReadPunches(ctx, []string{"E1", "E2", "E3", "E4"}, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		func(p sqlsink.StoredPunch) error {
			out = append(out, fmt.Sprintf("%s %s %s %s %s", p.EmployeeID, p.Time.In(hcm).Format("2006-01-02 15:04"), p.Direction, p.DeviceID, p.Source))
			return nil
		})
	if err != nil {
		e.t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// checksum hashes every column of every row of the table, imported_at included.
func (e *env) checksum() string {
	e.t.Helper()
	ctx := context.Background()
	hr, err := importer.OpenHR(ctx, e.cfg, false)
	if err != nil {
		e.t.Fatal(err)
	}
	defer hr.Close()
	rows, err := hr.DB().QueryxContext(ctx, "SELECT * FROM "+e.table)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		v, err := rows.SliceScan()
		if err != nil {
			e.t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%v", v))
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

func (e *env) run(o Options) (*Result, error) {
	o.Config = e.cfg
	if o.From == "" {
		o.From, o.To = "2025-12-01", "2025-12-02"
	}
	o.ReportPath = filepath.Join(e.dir, fmt.Sprintf("report-%d.csv", rand.Uint32()))
	return Run(context.Background(), o)
}

func production() Filter {
	f := Filter{}
	f.Add("department", "PRODUCTION ")
	f.Add("status", "active")
	return f
}

func sortedCopy(rows []stored) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		p := r.punch()
		out[i] = fmt.Sprintf("%s %s %s %s %s", p.EmployeeID, p.Time.In(hcm).Format("2006-01-02 15:04"), p.Direction, p.DeviceID, p.Source)
	}
	sort.Strings(out)
	return out
}

func counts(r *Result) string {
	var parts []string
	for _, k := range r.Counts.Sorted() {
		parts = append(parts, fmt.Sprintf("%s=%d", k, r.Counts[k]))
	}
	return strings.Join(parts, " ")
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %s\n want %s", what, strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
}

// afterPrune is the table once E1 and E2 are reconciled with --prune.
var afterPrune = []stored{
	"E1 2025-12-01 08:00 in GATE-1 gate",
	"E1 2025-12-01 17:00 out GATE-1 gate",
	"E1 2025-12-02 08:00 in GATE-1 gate",
	"E1 2025-12-02 17:00 out GATE-2 gate",
	"E1 2025-12-02 12:30 in GATE-5 manual",
	"E1 2025-11-30 12:00 in GATE-1 gate",
	"E1 2025-12-03 06:30 in GATE-1 gate",
	"E2 2025-12-01 08:05 in GATE-1 gate",
	"E2 2025-12-01 17:05 out GATE-1 gate",
	"E4 2025-12-01 12:00 in GATE-3 gate",
	"E3 2025-12-01 12:00 in GATE-3 gate",
	"E1 2025-12-01 08:00 in GATE-2 scanner",
}

// e4Reconciled is E4 once reconciled with --prune: its 09:00 punch in,
// the 12:00 extra out.
var e4Reconciled = []stored{"E4 2025-12-01 09:00 in GATE-3 gate"}

func TestResync(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Run("prune reconciles and touches nothing else", func(t *testing.T) {
				e := newEnv(t, b)
				e.seed(seed)
				res, err := e.run(Options{Filter: production(), Prune: true})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := counts(res), "inserted=2 removed=2 unchanged=2 unmapped=1 updated=2"; got != want {
					t.Errorf("counts %s, want %s", got, want)
				}
				if exitcode.For(res.Outcome()) != exitcode.Rejected {
					t.Errorf("exit %d, want 3 (one unmapped row in the window)", exitcode.For(res.Outcome()))
				}
				equal(t, "table", e.rows(), sortedCopy(afterPrune))

				// The run history holds every change with before and after.
				st, err := state.Open(context.Background(), filepath.Join(e.dir, "data", "state.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				changes, err := Changes(context.Background(), st.DB, res.RunID)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, c := range changes {
					got = append(got, fmt.Sprintf("%s %s %s %s/%s <- %s/%s", c.Outcome, c.EmployeeID, c.Time.In(hcm).Format("01-02 15:04"),
						c.Direction, c.DeviceID, c.BeforeDirection, c.BeforeDeviceID))
				}
				sort.Strings(got)
				equal(t, "history", got, []string{
					"inserted E1 12-02 08:00 in/GATE-1 <- /",
					"inserted E2 12-01 17:05 out/GATE-1 <- /",
					"removed E1 12-02 12:00 / <- in/GATE-1",
					"removed E2 12-01 13:00 / <- in/GATE-1",
					"updated E1 12-01 17:00 out/GATE-1 <- in/GATE-1",
					"updated E1 12-02 17:00 out/GATE-2 <- out/GATE-9",
				})
				runs, err := st.Runs(context.Background(), 1)
				if err != nil || len(runs) != 1 || runs[0].Command != "resync" || runs[0].Counts["updated"] != 2 {
					t.Errorf("run history: %+v %v", runs, err)
				}

				// Run again: nothing left to do.
				res, err = e.run(Options{Filter: production(), Prune: true})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := counts(res), "unchanged=6 unmapped=1"; got != want {
					t.Errorf("second run: counts %s, want %s", got, want)
				}
				equal(t, "table after the second run", e.rows(), sortedCopy(afterPrune))
			})

			t.Run("without prune extras are only reported", func(t *testing.T) {
				e := newEnv(t, b)
				e.seed(seed)
				res, err := e.run(Options{Filter: production()})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := counts(res), "extra=2 inserted=2 unchanged=2 unmapped=1 updated=2"; got != want {
					t.Errorf("counts %s, want %s", got, want)
				}
				rows := e.rows()
				for _, r := range []string{"E1 2025-12-02 12:00 in GATE-1 gate", "E2 2025-12-01 13:00 in GATE-1 gate"} {
					if !contains(rows, r) {
						t.Errorf("extra %s was removed without --prune", r)
					}
				}
			})

			t.Run("dry run changes nothing", func(t *testing.T) {
				e := newEnv(t, b)
				e.seed(seed)
				before := e.checksum()
				res, err := e.run(Options{Filter: production(), Prune: true, DryRun: true})
				if err != nil {
					t.Fatal(err)
				}
				if after := e.checksum(); after != before {
					t.Errorf("table checksum changed: %s -> %s", before, after)
				}
				if got, want := counts(res), "unchanged=2 unmapped=1 would_insert=2 would_remove=2 would_update=2"; got != want {
					t.Errorf("counts %s, want %s", got, want)
				}
				var plan []string
				for _, s := range res.Employees {
					plan = append(plan, fmt.Sprintf("%s insert=%d update=%d remove=%d unchanged=%d", s.Employee.ID,
						s.Counts[WouldInsert], s.Counts[WouldUpdate], s.Counts[WouldRemove], s.Counts[Unchanged]))
				}
				equal(t, "plan", plan, []string{"E1 insert=1 update=2 remove=1 unchanged=1", "E2 insert=1 update=0 remove=1 unchanged=1"})
			})

			t.Run("each filter kind selects only its employees", func(t *testing.T) {
				for _, tc := range []struct {
					kind, value string
					changed     []string // employees whose rows change
				}{
					{"employee", "e2", []string{"E2"}},
					{"employee", "101", []string{"E1"}},
					{"sub_department", "CUTTING", []string{"E2"}},
					// E3 is inactive: import rejects its punches, so resync never prunes them.
					{"designation", "operator", []string{"E1"}},
					{"sbu", "textiles", []string{"E4"}},
					{"state", "dong nai", []string{"E4"}},
					{"branch", "thu duc", []string{"E1", "E2"}},
					{"employee_type", "permanent", []string{"E1", "E2", "E4"}},
					{"status", "Inactive", nil},
					{"department", "sales", []string{"E4"}},
				} {
					t.Run(tc.kind+"="+tc.value, func(t *testing.T) {
						e := newEnv(t, b)
						e.seed(seed)
						f := Filter{}
						f.Add(tc.kind, tc.value)
						if _, err := e.run(Options{Filter: f, Prune: true}); err != nil {
							t.Fatal(err)
						}
						want := map[string]bool{}
						for _, id := range tc.changed {
							want[id] = true
						}
						var expect []stored
						for _, s := range seed {
							if !want[strings.Fields(string(s))[0]] {
								expect = append(expect, s)
							}
						}
						for _, s := range append(afterPrune[:len(afterPrune):len(afterPrune)], e4Reconciled...) {
							if want[strings.Fields(string(s))[0]] && s != "E4 2025-12-01 12:00 in GATE-3 gate" {
								expect = append(expect, s)
							}
						}
						equal(t, "table", e.rows(), sortedCopy(expect))
					})
				}
			})

			t.Run("unknown value and profile scope are refused", func(t *testing.T) {
				e := newEnv(t, b)
				e.seed(seed)
				before := e.checksum()
				f := Filter{}
				f.Add("department", "Prodution")
				_, err := e.run(Options{Filter: f, Prune: true})
				var ue *exitcode.UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), `"Production"`) {
					t.Errorf("unknown department: %v", err)
				}
				_, err = e.run(Options{Filter: production(), Profile: "sales_manager", Prune: true})
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), `profile "sales_manager" may resync only departments Sales`) {
					t.Errorf("out of scope: %v", err)
				}
				if e.checksum() != before {
					t.Error("a refused resync changed the table")
				}
				if _, err := e.run(Options{Filter: production(), Profile: "thu_duc", Prune: true}); err != nil {
					t.Errorf("in scope: %v", err)
				}
			})

			t.Run("a crash part-way leaves each employee whole and a re-run finishes", func(t *testing.T) {
				e := newEnv(t, b)
				e.seed(seed)
				// While E2 is applied, another writer stores the punch E2's
				// plan inserts (the same identity: the table's key includes
				// the direction): the insert fails after E2's delete ran, so
				// E2's transaction must roll back whole.
				failing := func(s Store) Store {
					return &collidingStore{Store: s, env: e, at: 2, punch: "E2 2025-12-01 17:05 out GATE-1 gate"}
				}
				res, err := e.run(Options{Filter: production(), Prune: true, wrapStore: failing})
				if err == nil {
					t.Fatal("want the injected failure")
				}
				if res.Applied != 1 || !strings.Contains(err.Error(), "run the same resync again") {
					t.Errorf("applied %d, err %v", res.Applied, err)
				}
				var expect []stored
				for _, s := range afterPrune {
					if strings.HasPrefix(string(s), "E1") {
						expect = append(expect, s)
					}
				}
				for _, s := range seed {
					if !strings.HasPrefix(string(s), "E1") {
						expect = append(expect, s)
					}
				}
				expect = append(expect, "E2 2025-12-01 17:05 out GATE-1 gate")
				equal(t, "after the crash: E1 reconciled, E2 untouched", e.rows(), sortedCopy(expect))

				res, err = e.run(Options{Filter: production(), Prune: true})
				if err != nil {
					t.Fatal(err)
				}
				// The other writer's punch is E2's own: unchanged on the re-run.
				if got, want := counts(res), "removed=1 unchanged=6 unmapped=1"; got != want {
					t.Errorf("re-run counts %s, want %s", got, want)
				}
				equal(t, "after the re-run", e.rows(), sortedCopy(afterPrune))
			})
		})
	}
}

// collidingStore writes a punch behind the engine's back just before the
// at-th employee is applied.
type collidingStore struct {
	Store
	env   *env
	at, n int
	punch stored
}

func (c *collidingStore) ApplyChanges(ctx context.Context, ch sqlsink.EmployeeChanges) error {
	c.n++
	if c.n == c.at {
		c.env.seed([]stored{c.punch})
	}
	return c.Store.ApplyChanges(ctx, ch)
}
