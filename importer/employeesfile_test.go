package importer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
)

// writeEmployeesXLSX writes the directory as a workbook with a title row
// above the header, as HR exports often have.
func writeEmployeesXLSX(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{{"Staff list, December"}, {"Staff No", "Clock No", "Name", "Status"}, {"E1", 1001, "Ann", "active"}, {"E2", 1002, "Bob", "active"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

// TestEmployeesFileFormats: hr.employees.file is read by the same readers
// as a punch source, so a workbook or a delimited text file with format:
// options is a directory the import places punches with.
func TestEmployeesFileFormats(t *testing.T) {
	cases := []struct {
		name, file, employees string
		write                 func(t *testing.T, path string)
	}{
		{name: "xlsx", file: "employees.xlsx", employees: "{ file: employees.xlsx, columns: { id: Staff No, attendance_no: Clock No } }",
			write: writeEmployeesXLSX},
		{name: "txt with format", file: "employees.txt", employees: "{ file: employees.txt, format: { type: txt, delimiter: \"|\" } }",
			write: func(t *testing.T, path string) {
				os.WriteFile(path, []byte("id|attendance_no|name|status\nE1|1001|Ann|active\nE2|1002|Bob|active\n"), 0o644)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.write(t, filepath.Join(dir, tc.file))
			os.WriteFile(filepath.Join(dir, "punches.csv"), []byte("Pin,Time\n1001,2025-12-01 08:00:00\n1002,2025-12-01 08:01:00\n9999,2025-12-01 08:02:00\n"), 0o644)
			os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(`hr:
  url: sqlite://hr.db
  employees: `+tc.employees+`
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
			res, err := Import(context.Background(), Options{Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts[mapping.Imported] != 2 || res.Counts[mapping.Unmapped] != 1 {
				t.Fatalf("counts %v, want 2 imported and 1 unmapped", res.Counts)
			}
		})
	}
}

// TestEmployeeIDFromAnotherColumn: columns: { id: employee_no } makes the
// employee_no column the id and keeps it matchable as employee_no; a file
// without the id column is refused with the columns it does have.
func TestEmployeeIDFromAnotherColumn(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "staff.csv"), []byte("employee_no,name,status\nP1001,Ann,active\nP1002,Bob,active\n"), 0o644)
	cfg := func(employees string) *config.Config {
		os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte("hr:\n  url: sqlite://hr.db\n  employees: "+employees+"\nsources:\n  gate: { path: p.csv, mapping: { employee_key: 1, time: 2 } }\n"), 0o644)
		c, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	d, err := LoadDirectory(context.Background(), cfg("{ file: staff.csv, columns: { id: employee_no }, match: [employee_no] }"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := d.Lookup("P1002"); e == nil || e.ID != "P1002" || e.EmployeeNo != "P1002" {
		t.Fatalf("lookup P1002 = %+v", e)
	}
	_, err = LoadDirectory(context.Background(), cfg("{ file: staff.csv, match: [employee_no] }"), nil)
	if err == nil || !strings.Contains(err.Error(), `the file's columns are "employee_no", "name", "status"`) {
		t.Fatalf("err = %v", err)
	}
}
