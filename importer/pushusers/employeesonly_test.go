package pushusers

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/sqldb"
)

// TestDatabaseTargetNeedsNoPunchTable: a customer who uses hrsync only to
// keep employee accounts has an employees table and no punch table, and
// tables are not created. push-users must work there.
func TestDatabaseTargetNeedsNoPunchTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	raw, err := sql.Open("sqlite", filepath.Join(dir, "hr.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(employeesDDL("staff")); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	if err := os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("Emp No,Full Name,Init Pwd,Status,Dept,Position,Joined\nN1,Nia,x7-Kq2,Active,Sales,Clerk,2026-11-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(filepath.Join(dir, "hrsync.yaml"), []byte(`
hr:
  url: sqlite://hr.db
  create_tables: false
  employees: { table: staff }
push_users:
  source:
    path: employees.csv
    columns: { id: Emp No, name: Full Name, password: Init Pwd, status: Status, department: Dept, designation: Position, onboarding_date: Joined }
    date_layouts: ["2006-01-02"]
    status_values: { active: [Active] }
  target: { kind: database, password_column: init_password }
`))
	if err != nil {
		t.Fatal(err)
	}
	target, closeTarget, err := OpenTarget(ctx, cfg, true, nil)
	if err != nil {
		t.Fatalf("open a database target without a punch table: %v", err)
	}
	defer closeTarget()
	res, err := Run(ctx, Options{Config: cfg, Target: target, ReportPath: filepath.Join(dir, "report.csv")})
	if err != nil || res.Counts[Create] != 1 {
		t.Fatalf("push: %+v %v", res.Counts, err)
	}
	db, err := sqldb.Open(ctx, "sqlite://"+filepath.Join(dir, "hr.db"), sqldb.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'punches'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("punch table made: %d %v", n, err)
	}
}
