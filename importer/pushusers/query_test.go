package pushusers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/sqldb"
)

// TestDatabaseSource reads employees with a SQL query (SQLite here; the
// same code runs the query on MySQL, SQL Server or Oracle).
func TestDatabaseSource(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := sqldb.Open(ctx, "sqlite://"+filepath.Join(dir, "hrms.db"), sqldb.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"CREATE TABLE staff (code TEXT, full_name TEXT, pwd TEXT, state TEXT, joined DATE, dept TEXT)",
		"INSERT INTO staff VALUES ('N1', 'Nia', '" + secretPW + "', 'Active', '2026-11-01', 'Sales')",
		"INSERT INTO staff VALUES ('E2', 'Bob', 'x', 'Active', '2020-02-01', 'Assembly')",
		"INSERT INTO staff VALUES (NULL, 'Nobody', 'x', 'Active', '2020-02-01', 'Assembly')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	t.Setenv("HRMS_PW", "db-secret")
	yml := `
hr: { url: sqlite://hr.db }
push_users:
  source:
    url: sqlite://hrms.db
    password: ${HRMS_PW}
    query: SELECT code, full_name, pwd, state, joined, dept FROM staff ORDER BY code
    columns: { id: code, name: full_name, password: pwd, status: state, onboarding_date: joined, department: dept }
    status_values: { active: [Active], resigned: [Resigned] }
`
	if err := os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := newMemHarness(t)
	h.seed(t, seedEmployees())
	res, err, _ := runOnce(t, cfg, h, func(o *Options) { o.DeactivateMissing = true; o.AllowMass = true })
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(res)
	if got["N1"] != Create || got["E2"] != Update {
		t.Errorf("outcomes %v", got)
	}
	if res.Source.NoID != 1 || res.Counts[AbsentDeactivated] != 0 {
		t.Errorf("a row without an id must stop absent employees from being deactivated: %+v %v", res.Source, res.Counts)
	}
	if d := decision(res, "E4"); d == nil || !strings.Contains(d.Reason, "no employee id") {
		t.Errorf("E4 should say why it was not deactivated: %+v", d)
	}
	if pw, _ := h.passwords(); pw["N1"] != secretPW {
		t.Error("the password from the query did not reach the create")
	}
}
