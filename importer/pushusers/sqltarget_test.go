package pushusers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sqlsink"
)

var tableSeq atomic.Int64

func uniqueTable(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, time.Now().UnixNano()%1_000_000_000, tableSeq.Add(1))
}

func mariadbURL() string {
	if u := os.Getenv("HRSYNC_TEST_MYSQL_URL"); u != "" {
		return u
	}
	return "mysql://root@127.0.0.1:3306/test"
}

// employeesDDL is an employees table with a password column, in SQL both
// SQLite and MariaDB accept.
func employeesDDL(table string) string {
	cols := ""
	for _, f := range mapping.EmployeeFields {
		if f == "id" {
			continue
		}
		cols += ", " + f + " VARCHAR(200)"
	}
	return "CREATE TABLE " + table + " (id VARCHAR(64) NOT NULL PRIMARY KEY" + cols + ", init_password VARCHAR(200))"
}

func openSQLHarness(t *testing.T, url string) *harness {
	t.Helper()
	ctx := context.Background()
	emp, pun := uniqueTable("pu_emp"), uniqueTable("pu_pun")
	create := true
	sink, err := sqlsink.Open(ctx, sqlsink.Config{URL: url, Employees: sqlsink.EmployeesTable{Table: emp},
		Punches: sqlsink.PunchesTable{Table: pun}, Create: &create})
	if err != nil {
		t.Skipf("database not reachable: %v", err)
	}
	db := sink.DB()
	t.Cleanup(func() {
		db.ExecContext(ctx, "DROP TABLE "+emp)
		db.ExecContext(ctx, "DROP TABLE "+pun)
		sink.Close()
	})
	// Replace the table hrsync created with one that has a password column.
	if _, err := db.ExecContext(ctx, "DROP TABLE "+emp); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, employeesDDL(emp)); err != nil {
		t.Fatal(err)
	}
	return &harness{
		target: NewSQLTarget(sink, "init_password"),
		seed: func(t *testing.T, emps []mapping.Employee) {
			if err := sink.UpsertEmployees(ctx, emps); err != nil {
				t.Fatal(err)
			}
		},
		dump: func(t *testing.T) map[string]mapping.Employee {
			all, err := sink.Employees(ctx)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]mapping.Employee{}
			for _, e := range all {
				delete(e.Extra, "init_password")
				out[e.ID] = e
			}
			return out
		},
		holds: func(string) bool { return true },
		passwords: func() (map[string]string, bool) {
			rows, err := db.QueryxContext(ctx, "SELECT id, init_password FROM "+emp+" WHERE init_password IS NOT NULL")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			out := map[string]string{}
			for rows.Next() {
				var id, pw string
				if err := rows.Scan(&id, &pw); err != nil {
					t.Fatal(err)
				}
				out[id] = pw
			}
			return out, false
		},
	}
}

func TestRulesSQLite(t *testing.T) {
	runRuleSuite(t, func(t *testing.T) *harness {
		return openSQLHarness(t, "sqlite://"+filepath.Join(t.TempDir(), "hr.db"))
	})
}

func TestRulesMariaDB(t *testing.T) {
	runRuleSuite(t, func(t *testing.T) *harness {
		h := openSQLHarness(t, mariadbURL())
		return h
	})
}
