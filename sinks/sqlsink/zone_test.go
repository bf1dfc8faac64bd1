package sqlsink

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sinktest"
)

func hoChiMinh(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// storedWallClocks is what the punch table holds, as the database itself
// prints it (no driver in between): "punch_time imported_at" per row, in
// time order.
func storedWallClocks(t *testing.T, s *Sink) []string {
	t.Helper()
	p := s.st.p
	f := map[string]string{
		sqldb.SQLite:    "%s",
		sqldb.MySQL:     "DATE_FORMAT(%s, '%%Y-%%m-%%d %%H:%%i:%%s')",
		sqldb.Postgres:  "to_char(%s, 'YYYY-MM-DD HH24:MI:SS')",
		sqldb.SQLServer: "CONVERT(VARCHAR(19), %s, 120)",
		sqldb.Oracle:    "TO_CHAR(%s, 'YYYY-MM-DD HH24:MI:SS')",
	}[s.db.Dialect.Name()]
	q := fmt.Sprintf("SELECT %s, %s FROM %s ORDER BY %s", fmt.Sprintf(f, p.col("punch_time")), fmt.Sprintf(f, p.col("imported_at")), p.table, p.col("punch_time"))
	var out []string
	rows, err := s.db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var when, at string
		if err := rows.Scan(&when, &at); err != nil {
			t.Fatal(err)
		}
		out = append(out, when+" "+at)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A 07:58 punch in Ho Chi Minh City lands in the HR database's naive
// columns as 07:58 when hr.timezone is Asia/Ho_Chi_Minh (00:58, the old
// behaviour, with UTC), by every write path: the first batch (read of
// stored keys, then INSERT, LOAD DATA or COPY), the next one loaded whole,
// a re-import (all duplicates), resync's read, update, delete and insert.
func TestNaiveTimesInHRZone(t *testing.T) {
	ctx := context.Background()
	hcm := hoChiMinh(t)
	for _, b := range backends(t) {
		formats := []string{""}
		if b.name == "postgres" {
			formats = []string{"binary", "text"}
		}
		for _, format := range formats {
			for _, zone := range []*time.Location{hcm, time.UTC} {
				name := b.name + "/" + zone.String()
				if format != "" {
					name = b.name + "-" + format + "/" + zone.String()
				}
				t.Run(name, func(t *testing.T) {
					reachable(t, b)
					cfg := testConfig()
					cfg.Zone = zone
					s, err := b.open(t, cfg)
					if err != nil {
						t.Fatal(err)
					}
					if format == "text" {
						s.copyBinary = false
					}
					s.now = func() time.Time { return time.Date(2025, 12, 1, 9, 30, 0, 0, hcm) }
					first := []mapping.Punch{{EmployeeID: "E1", Time: time.Date(2025, 12, 1, 7, 58, 0, 0, hcm), Direction: mapping.DirIn, DeviceID: "gate-1", Source: "gate", SourceKey: "1001"}}
					next := []mapping.Punch{
						{EmployeeID: "E2", Time: time.Date(2025, 12, 1, 8, 1, 0, 0, hcm), Direction: mapping.DirIn, DeviceID: "gate-1", Source: "gate", SourceKey: "1002"},
						{EmployeeID: "E1", Time: time.Date(2025, 12, 1, 17, 5, 0, 0, hcm), Direction: mapping.DirOut, DeviceID: "gate-1", Source: "gate", SourceKey: "1001"},
					}
					for _, batch := range [][]mapping.Punch{first, next} {
						if got, err := write(ctx, s, batch); err != nil || !all(got, true) {
							t.Fatalf("inserted = %v, %v", got, err)
						}
					}
					want := []string{"2025-12-01 07:58:00 2025-12-01 09:30:00", "2025-12-01 08:01:00 2025-12-01 09:30:00", "2025-12-01 17:05:00 2025-12-01 09:30:00"}
					if zone == time.UTC {
						want = []string{"2025-12-01 00:58:00 2025-12-01 02:30:00", "2025-12-01 01:01:00 2025-12-01 02:30:00", "2025-12-01 10:05:00 2025-12-01 02:30:00"}
					}
					if got := storedWallClocks(t, s); !slices.Equal(got, want) {
						t.Fatalf("stored %q, want %q", got, want)
					}
					// A re-import finds every punch stored, whichever way
					// the batch goes (whole, after a read of stored keys).
					all3 := append(slices.Clone(first), next...)
					for range 2 {
						if got, err := write(ctx, s, all3); err != nil || !all(got, false) {
							t.Fatalf("re-import: inserted = %v, %v; want duplicates", got, err)
						}
					}
					if n := countRows(t, s); n != 3 {
						t.Fatalf("%d rows after the re-import, want 3", n)
					}

					// Resync reads the day in Ho Chi Minh City and gets the
					// instants it wrote.
					from := time.Date(2025, 12, 1, 0, 0, 0, 0, hcm)
					var read []StoredPunch
					if err := s.ReadPunches(ctx, []string{"E1", "E2"}, from, from.AddDate(0, 0, 1), func(p StoredPunch) error {
						read = append(read, p)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					slices.SortFunc(read, func(a, b StoredPunch) int { return a.Time.Compare(b.Time) })
					if len(read) != 3 {
						t.Fatalf("read %d punches of the day, want 3: %v", len(read), read)
					}
					for i, p := range read {
						if !p.Time.Equal(all3[i].Time) || p.Key(mapping.Identity{}) != (mapping.Identity{}).Of(&all3[i]) {
							t.Errorf("read %s at %v, wrote %s at %v", p.EmployeeID, p.Time, all3[i].EmployeeID, all3[i].Time)
						}
					}
					// The day before holds none of them: the range is bound
					// in the same zone as the rows.
					if err := s.ReadPunches(ctx, []string{"E1", "E2"}, from.AddDate(0, 0, -1), from, func(p StoredPunch) error {
						return fmt.Errorf("the day before holds %s at %v", p.EmployeeID, p.Time)
					}); err != nil {
						t.Fatal(err)
					}
					// Reconcile writes name stored rows by their time.
					fixed := first[0]
					fixed.Direction = mapping.DirOut
					added := mapping.Punch{EmployeeID: "E1", Time: time.Date(2025, 12, 1, 12, 0, 0, 0, hcm), Direction: mapping.DirIn, DeviceID: "gate-1", Source: "gate", SourceKey: "1001"}
					err = s.ApplyChanges(ctx, EmployeeChanges{EmployeeID: "E1",
						Update: []PunchFix{{Before: read[0], After: fixed}}, Delete: []StoredPunch{read[2]}, Insert: []mapping.Punch{added}})
					if err != nil {
						t.Fatal(err)
					}
					want = []string{want[0], want[1], "2025-12-01 12:00:00 2025-12-01 09:30:00"}
					if zone == time.UTC {
						want[2] = "2025-12-01 05:00:00 2025-12-01 02:30:00"
					}
					if got := storedWallClocks(t, s); !slices.Equal(got, want) {
						t.Fatalf("after reconcile stored %q, want %q", got, want)
					}
				})
			}
		}
	}
}

// The sink contract holds with the HR database in another zone than UTC.
func TestPunchSinkContractInHRZone(t *testing.T) {
	hcm := hoChiMinh(t)
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			sinktest.Run(t, func(t *testing.T) sinktest.Target {
				cfg := testConfig()
				cfg.Zone = hcm
				return sinkTarget(b, cfg)
			})
		})
	}
}

// A customer's SQLite table that declares its time column DATETIME (which
// the driver hands back as a time.Time, not text) keeps the wall clock of
// hr.timezone as well.
func TestSQLiteDatetimeColumnInHRZone(t *testing.T) {
	ctx := context.Background()
	hcm := hoChiMinh(t)
	url := "sqlite://" + t.TempDir() + "/hr.db"
	db, err := sqldb.Open(ctx, url, sqldb.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE TABLE att (emp TEXT NOT NULL, punched_at DATETIME NOT NULL, terminal TEXT NOT NULL, UNIQUE (punched_at, emp, terminal))"); err != nil {
		t.Fatal(err)
	}
	no := false
	s, err := newSink(ctx, db, Config{Create: &no, Zone: hcm, Punches: PunchesTable{Table: "att",
		Columns: map[string]string{"employee_id": "emp", "punch_time": "punched_at", "device_id": "terminal", "direction": "", "source": "", "source_key": "", "imported_at": ""}}})
	if err != nil {
		t.Fatal(err)
	}
	batch := []mapping.Punch{{EmployeeID: "E1", Time: time.Date(2025, 12, 1, 7, 58, 0, 0, hcm), DeviceID: "gate-1"}}
	if got, err := write(ctx, s, batch); err != nil || !all(got, true) {
		t.Fatalf("inserted = %v, %v", got, err)
	}
	var text string
	if err := db.GetContext(ctx, &text, "SELECT CAST(punched_at AS TEXT) FROM att"); err != nil || text != "2025-12-01 07:58:00" {
		t.Fatalf("stored %q, %v; want 2025-12-01 07:58:00", text, err)
	}
	if got, err := write(ctx, s, batch); err != nil || !all(got, false) {
		t.Fatalf("re-import: inserted = %v, %v; want a duplicate", got, err)
	}
	from := time.Date(2025, 12, 1, 0, 0, 0, 0, hcm)
	var read []time.Time
	if err := s.ReadPunches(ctx, []string{"E1"}, from, from.AddDate(0, 0, 1), func(p StoredPunch) error {
		read = append(read, p.Time)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(read) != 1 || !read[0].Equal(batch[0].Time) {
		t.Fatalf("read back %v, want %v", read, batch[0].Time)
	}
}
