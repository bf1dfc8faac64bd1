package pushusers

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/hrsync/hrsync/config"
)

// TestSpreadsheetSource: push_users.source reads a workbook through the
// same employee reader as hr.employees.file, a title row above the header
// found by the mapped columns.
func TestSpreadsheetSource(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	rows := [][]any{{"Staff"}, {"No", "Name", "Pwd", "St", "Joined"}, {"E1", "Ann", "pw1", "Active", "2024-03-01"}, {"E2", "Bob", "pw2", "Resigned", "2020-02-01"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(filepath.Join(dir, "staff.xlsx")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	yml := `hr: { url: sqlite://hr.db }
push_users:
  source:
    path: staff.xlsx
    columns: { id: No, name: Name, password: Pwd, status: St, onboarding_date: Joined }
    status_values: { active: [Active], resigned: [Resigned] }
`
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(yml), 0o644)
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	recs, st, err := ReadSource(context.Background(), cfg, NewNormalizer(cfg.PushUsers))
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 2 || len(recs) != 2 {
		t.Fatalf("stats %+v, %d records, want 2 rows", st, len(recs))
	}
	if e := recs[0].Employee; e.ID != "E1" || e.Name != "Ann" || e.OnboardingDate != "2024-03-01" || recs[0].Class != classActive || recs[0].Password != "pw1" {
		t.Errorf("first record %+v", recs[0])
	}
	if recs[1].Class != classResigned {
		t.Errorf("second record %+v", recs[1])
	}
}
