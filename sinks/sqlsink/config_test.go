package sqlsink

import (
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/sqldb"
)

func TestResolvePunchesErrors(t *testing.T) {
	d, _ := sqldb.DialectFor(sqldb.Postgres)
	tests := []struct {
		name    string
		table   PunchesTable
		wantErr string
	}{
		{"unknown field", PunchesTable{Columns: map[string]string{"emp": "x"}}, "punches.columns: unknown field emp"},
		{"key column left out", PunchesTable{Columns: map[string]string{"device_id": ""}}, "punches.columns.device_id: cannot be empty"},
		{"bad column", PunchesTable{Columns: map[string]string{"punch_time": "time stamp"}}, "punches.columns.punch_time"},
		{"bad table", PunchesTable{Table: "a.b.c"}, "punches.table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := resolvePunches(d, tt.table)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestResolveEmployees(t *testing.T) {
	d, _ := sqldb.DialectFor(sqldb.MySQL)
	e, err := resolveEmployees(d, EmployeesTable{Columns: map[string]string{"id": "EmpCode", "name": "id"}})
	if err != nil {
		t.Fatal(err)
	}
	// name claims the column "id", so no field takes it by default.
	if e.byColumn["empcode"] != "id" || e.byColumn["id"] != "name" || e.column["email"] != "email" {
		t.Errorf("byColumn = %v", e.byColumn)
	}
	for _, tt := range []struct {
		table   EmployeesTable
		wantErr string
	}{
		{EmployeesTable{Table: "e", Query: "SELECT 1"}, "either table or query"},
		{EmployeesTable{Query: "SELECT 1", Columns: map[string]string{"id": "x"}}, "alias the query's columns"},
		{EmployeesTable{Columns: map[string]string{"id": "code", "employee_no": "code"}}, "both name column"},
		{EmployeesTable{Columns: map[string]string{"salary": "x"}}, "employees.columns: unknown field salary"},
		{EmployeesTable{Table: "emp loyees"}, "employees.table"},
	} {
		if _, err := resolveEmployees(d, tt.table); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%+v: err = %v, want one containing %q", tt.table, err, tt.wantErr)
		}
	}
}

func TestBatchSize(t *testing.T) {
	tests := []struct {
		dialect    string
		configured int
		want       int
	}{
		{sqldb.SQLite, 0, 500},
		{sqldb.SQLite, 100000, 32766 / 7},
		{sqldb.Postgres, 0, 1000},
		{sqldb.MySQL, 0, 500},
		{sqldb.SQLServer, 0, 2098 / 7}, // 299 rows: 2,093 parameters
		{sqldb.SQLServer, 50, 50},
		{sqldb.Oracle, 0, 100},
	}
	for _, tt := range tests {
		d, _ := sqldb.DialectFor(tt.dialect)
		got, err := batchSize(d, tt.configured, len(PunchFields))
		if err != nil || got != tt.want {
			t.Errorf("%s batchSize(%d) = %d, %v; want %d", tt.dialect, tt.configured, got, err, tt.want)
		}
	}
	d, _ := sqldb.DialectFor(sqldb.SQLite)
	if _, err := batchSize(d, -1, 7); err == nil {
		t.Error("negative batch size accepted")
	}
}

// A schema-qualified SQLite table puts the schema on the index names.
func TestCreatePunchesSchemaQualified(t *testing.T) {
	d, _ := sqldb.DialectFor(sqldb.SQLite)
	p, err := resolvePunches(d, PunchesTable{Table: "main.punches"})
	if err != nil {
		t.Fatal(err)
	}
	stmts, err := statements{d: d, p: p, key: keyFields}.createPunches()
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE UNIQUE INDEX `main`.`punches_key` ON `punches` (`punch_time`, `employee_id`, `device_id`)"
	if len(stmts) != 2 || stmts[1] != want {
		t.Errorf("got %q, want 2 statements, the second %q", stmts, want)
	}
}
