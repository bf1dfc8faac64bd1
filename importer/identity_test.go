package importer

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
)

// minuteConfig reads a minute-precision export with a state column into
// the SQLite HR database hrsync creates, with extra under hr.punches.
func minuteConfig(t *testing.T, punches, extra string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(employeesCSV), 0o644)
	os.WriteFile(filepath.Join(dir, "punches.csv"), []byte(punches), 0o644)
	cfg := `hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
  punches: { table: attendance_punches` + extra + ` }
lock_wait: 1s
sources:
  gate:
    path: punches.csv
    mapping:
      employee_key: { column: Pin }
      time: { column: Time, layout: "2006-01-02 15:04" }
      direction: { column: State, codes: { in: [I], out: [O] } }
`
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(cfg), 0o644)
	c, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const minuteExport = "Pin,Time,State\n1001,2025-12-01 08:00,I\n1001,2025-12-01 08:00,O\n1002,2025-12-01 08:01,I\n1002,2025-12-01 08:01,I\n"

// An in and an out of one employee in the same minute of a minute-precision
// export are two punches in the table hrsync creates; a real repeat is
// still one; the dry run before and the re-import after agree.
func TestMinutePrecisionInAndOutAreTwoPunches(t *testing.T) {
	ctx := context.Background()
	cfg := minuteConfig(t, minuteExport, "")
	dry, err := Import(ctx, Options{Config: cfg, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Counts[mapping.WouldImport] != 3 || dry.Counts[mapping.Duplicate] != 1 {
		t.Fatalf("dry run before the table exists: %v", dry.Counts)
	}
	first, err := Import(ctx, Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if first.Counts[mapping.Imported] != 3 || first.Counts[mapping.Duplicate] != 1 {
		t.Fatalf("first import: %v", first.Counts)
	}
	again, err := Import(ctx, Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if again.Counts[mapping.Duplicate] != 4 || again.Counts[mapping.Imported] != 0 {
		t.Fatalf("re-import: %v", again.Counts)
	}
	dry, err = Import(ctx, Options{Config: cfg, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Counts[mapping.Duplicate] != 4 {
		t.Fatalf("dry run over the stored punches: %v", dry.Counts)
	}
}

// A table keyed without the direction (made before the setting, or with
// it false) keeps today's identity: the out is the in's duplicate, and
// nothing already imported is stored twice.
func TestKeyWithoutDirectionKeepsOnePunch(t *testing.T) {
	ctx := context.Background()
	cfg := minuteConfig(t, minuteExport, ", direction_in_key: false")
	first, err := Import(ctx, Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if first.Counts[mapping.Imported] != 2 || first.Counts[mapping.Duplicate] != 2 {
		t.Fatalf("first import: %v", first.Counts)
	}
	cfg.HR.Punches.DirectionInKey = nil // the setting left out: the table's key stands
	again, err := Import(ctx, Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if again.Counts[mapping.Duplicate] != 4 {
		t.Fatalf("re-import: %v", again.Counts)
	}
}
