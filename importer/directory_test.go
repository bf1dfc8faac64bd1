package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
)

// TestDirectoryFind: the ID and active flag find keeps in the index are
// the employee's own, for every way a key reaches an employee.
func TestDirectoryFind(t *testing.T) {
	emps := []mapping.Employee{
		{ID: "E1", AttendanceNo: "0042", EmployeeNo: "P1", Status: "active"},
		{ID: "E2", AttendanceNo: "7", EmployeeNo: "P2", Status: " Resigned "},
		{ID: "E3", EmployeeNo: "P3", Status: "0"},
		{ID: "E4", AttendanceNo: "7", Status: "inactive"}, // key taken by E2
	}
	d, err := NewDirectory(emps, []string{"attendance_no", "employee_no"}, []mapping.Transform{{Kind: mapping.TransformStripLeadingZeros}})
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"42", "0042", " 42 ", "7", "P1", "P2", "P3", "P4", "", "E1"} {
		e, found := d.Lookup(key), d.find(key)
		if found.employee != e {
			t.Fatalf("find(%q) = %v, Lookup = %v", key, found.employee, e)
		}
		if e == nil {
			if found != (entry{}) {
				t.Errorf("find(%q) = %+v for no employee", key, found)
			}
			continue
		}
		if found.id != e.ID || found.active != e.Active() {
			t.Errorf("find(%q) = %q active %v; employee %q active %v", key, found.id, found.active, e.ID, e.Active())
		}
	}
}

// TestInactiveEmployee: a punch of an employee who left is rejected with
// the status as the directory spells it, unless inactive: import.
func TestInactiveEmployee(t *testing.T) {
	for _, mode := range []string{"", "import"} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no,status\nE1,1001,active\nE2,1002,Resigned\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "punches.csv"), []byte("Pin,Time\n1001,2025-12-01 08:00:00\n1002,2025-12-01 08:00:00\n"), 0o644)
		inactive := ""
		if mode != "" {
			inactive = ", inactive: " + mode
		}
		os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv`+inactive+` }
sources:
  gate:
    path: punches.csv
    mapping:
      employee_key: { column: Pin }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
`), 0o644)
		cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := LoadDirectory(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		_, err = ReadMapped(context.Background(), cfg, cfg.Sources["gate"], d, ReadOptions{Now: time.Now}, func(m *Mapped) error {
			got = append(got, string(m.Line.Outcome)+" "+m.Line.EmployeeID+" "+m.Punch.EmployeeID+" "+m.Line.Reason)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{" E1 E1 ", "inactive E2  employee E2 is Resigned"}
		if mode == "import" {
			want[1] = " E2 E2 "
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("inactive %q:\n%s\nwant\n%s", mode, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
