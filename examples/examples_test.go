// Package examples_test runs every example config the way a user would, so
// an example that stops working fails the build.
package examples_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
)

// copyExample copies an example folder (files only) to a temp folder, so
// runs write their data there and not into the repository.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(name)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(name, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func runImport(t *testing.T, dir string) importer.Result {
	t.Helper()
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer.Import(context.Background(), importer.Options{Config: cfg, Now: func() time.Time {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestQuickstartExample(t *testing.T) {
	res := runImport(t, copyExample(t, "quickstart"))
	want := map[mapping.Code]int64{mapping.Imported: 390, mapping.Duplicate: 1, mapping.Unmapped: 3,
		mapping.Inactive: 10, mapping.InvalidTime: 2, mapping.InvalidRow: 2}
	for code, n := range want {
		if res.Counts[code] != n {
			t.Errorf("%s = %d, want %d (all: %v)", code, res.Counts[code], n, res.Counts)
		}
	}
	if exitcode.For(res.Outcome()) != exitcode.Rejected {
		t.Errorf("exit code %d, want 3", exitcode.For(res.Outcome()))
	}
}

func TestSpreadsheetExample(t *testing.T) {
	dir := copyExample(t, "spreadsheet")
	res := runImport(t, dir)
	if res.Counts[mapping.Imported] != 44 || res.Counts[mapping.Unmapped] != 4 || res.Counts.Total() != 48 {
		t.Fatalf("counts %v, want 44 imported and 4 unmapped (E1012)", res.Counts)
	}
	again := runImport(t, dir)
	if again.Counts[mapping.Duplicate] != 44 {
		t.Fatalf("second run %v, want 44 duplicate", again.Counts)
	}
}
