package importer

import (
	"context"
	"os"
	"path/filepath"
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
