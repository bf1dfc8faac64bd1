package mapcheck

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
)

// map-check in a config whose punches are already in the HR database
// counts them duplicate, as import would; before the HR table exists it
// counts them would_import and says why, once.
func TestMapCheckSeesStoredPunches(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no,status\nE1,1001,active\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "punches.csv"), []byte("Pin,Time\n1001,2025-12-01 08:00:00\n1001,2025-12-01 17:00:00\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
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

	doc, err := Run(ctx, RunOptions{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := WriteText(&text, doc); err != nil {
		t.Fatal(err)
	}
	if doc.Counts["would_import"] != 2 || strings.Count(text.String(), "does not exist yet") != 1 {
		t.Fatalf("before the HR database: counts %v\n%s", doc.Counts, text.String())
	}

	if _, err := importer.Import(ctx, importer.Options{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if doc, err = Run(ctx, RunOptions{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if doc.Counts["duplicate"] != 2 || doc.Counts["would_import"] != 0 || doc.StoredNote != "" || doc.ExitCode != 0 {
		t.Fatalf("after the import: counts %v, note %q, exit %d", doc.Counts, doc.StoredNote, doc.ExitCode)
	}
}
