package pushusers

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
)

// TestDryRunBeforeTheTableExists: the first thing anyone runs on the shipped
// example is its dry run, before the real run has created the employees
// table. The dry run plans what the real run then does, says that it
// assumed an empty directory, and still creates nothing.
func TestDryRunBeforeTheTableExists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, f := range []string{"hrsync.yaml", "staff.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "push-users", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dry, err := Run(ctx, Options{Config: cfg, DryRun: true, ReportPath: filepath.Join(dir, "dry.csv")})
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if len(dry.Notes) != 1 || !strings.Contains(dry.Notes[0], "no employees table yet") {
		t.Fatalf("the dry run should say it planned against an empty directory: %q", dry.Notes)
	}
	if hasTable(t, filepath.Join(dir, "hrsync-data", "hr.db"), "employees") {
		t.Fatal("the dry run created the employees table")
	}
	real, err := Run(ctx, Options{Config: cfg, ReportPath: filepath.Join(dir, "real.csv")})
	if err != nil {
		t.Fatalf("real run: %v", err)
	}
	for _, o := range Outcomes {
		if dry.Counts[o] != real.Counts[o] {
			t.Errorf("%s: dry run %d, real run %d", o, dry.Counts[o], real.Counts[o])
		}
	}
	if len(real.Notes) != 0 {
		t.Errorf("the real run has nothing to assume: %q", real.Notes)
	}
}

func hasTable(t *testing.T, path, table string) bool {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		return false
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}
