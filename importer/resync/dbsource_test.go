package resync

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/hrsync/hrsync/config"
)

// TestResyncDatabaseSourcePushesWindowDown re-reads a database source for
// one employee and one day: only that slice lands in the HR database, and the
// SQL itself was narrowed (a row outside the window that would fail mapping
// never shows up in the report).
func TestResyncDatabaseSourcePushesWindowDown(t *testing.T) {
	dir := t.TempDir()
	src, err := sql.Open("sqlite", filepath.Join(dir, "clock.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = src.Exec(`CREATE TABLE checkinout (pin TEXT, ts TEXT);
INSERT INTO checkinout VALUES
 ('1001', '2025-12-01 08:00:00'), ('1001', '2025-12-02 08:00:00'), ('1001', '2025-12-02 17:00:00'),
 ('1002', '2025-12-02 08:05:00'), ('1001', '2025-12-03 08:00:00'),
 ('1001', '2025-12-04 99:99:99')`)
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no,name,status,department\nE1,1001,Ann,active,Production\nE2,1002,Bob,active,Production\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(`timezone: Asia/Ho_Chi_Minh
hr:
  url: sqlite://hr.db
  employees: { file: employees.csv, match: [attendance_no] }
sources:
  clock:
    url: sqlite://clock.db
    table: checkinout
    mapping:
      employee_key: { column: pin }
      time: { column: ts }
      device: { value: CLOCK-1 }
`), 0o644)
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f := Filter{}
	f.Add("employee", "E1")
	res, err := Run(context.Background(), Options{Config: cfg, Filter: f, From: "2025-12-02", To: "2025-12-02"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[Inserted] != 2 || res.Counts.Total() != 2 {
		t.Fatalf("counts %v, want exactly E1's two punches of 2025-12-02 inserted", res.Counts)
	}
	hr, err := sql.Open("sqlite", filepath.Join(dir, "hr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Close()
	var n int
	hr.QueryRow(`SELECT COUNT(*) FROM attendance_punches WHERE employee_id='E1' AND punch_time BETWEEN '2025-12-02 00:00:00' AND '2025-12-02 23:59:59'`).Scan(&n)
	var all int
	hr.QueryRow(`SELECT COUNT(*) FROM attendance_punches`).Scan(&all)
	if n != 2 || all != 2 {
		t.Fatalf("HR table holds %d punches (%d of E1 on 2025-12-02), want 2", all, n)
	}
}
