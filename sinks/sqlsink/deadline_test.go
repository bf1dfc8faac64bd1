package sqlsink

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// TestDirectoryQueryTimeout: an hr.employees.query the server does not
// answer within hr.statement_timeout (SLEEP, pg_sleep) fails with the
// TimeoutError naming the directory read and the key.
func TestDirectoryQueryTimeout(t *testing.T) {
	sleeps := map[string]string{
		"mariadb":  "SELECT 'E1' AS id FROM (SELECT SLEEP(3) AS s) AS x",
		"postgres": "SELECT 'E1' AS id FROM pg_sleep(3)",
	}
	for _, b := range backends(t) {
		q, ok := sleeps[b.name]
		if !ok {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			no := false
			s, err := Open(context.Background(), Config{URL: b.url, Create: &no, EmployeesOnly: true,
				Employees: EmployeesTable{Query: q}, StatementTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, err = s.Employees(context.Background())
			var te *sqldb.TimeoutError
			if !errors.As(err, &te) || te.Key != "hr.statement_timeout" || !strings.Contains(err.Error(), "reading the employee directory") {
				t.Fatalf("got %v, want the directory read's TimeoutError naming hr.statement_timeout", err)
			}
		})
	}
}
