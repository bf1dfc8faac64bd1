package sqlsink

import (
	"context"
	"fmt"
	"testing"
)

// TestEmployeeIndexOnAnExistingTable: hr.punches.employee_index on a table
// that is already there (made here without it, as a customer's would be)
// adds the (employee_id, punch_time) index once; opening again finds it and
// changes nothing.
func TestEmployeeIndexOnAnExistingTable(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		switch b.name {
		case "sqlite", "mariadb", "postgres", "sqlserver", "oracle":
		default:
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			cfg := testConfig()
			s, err := b.open(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			indexes := func(s *Sink) int {
				q, args := s.st.employeeIndexExists()
				var n int
				if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := indexes(s); n != 0 {
				t.Fatalf("%d employee indexes on a table made without the option", n)
			}
			yes, no := true, false
			cfg.Create, cfg.Punches.EmployeeIndex = &no, &yes
			for range 2 {
				s, err := b.open(t, cfg)
				if err != nil {
					t.Fatal(err)
				}
				if n := indexes(s); n != 1 {
					t.Fatalf("%d employee indexes, want the one the option adds", n)
				}
			}
		})
	}
}

// TestEmployeeIndexExistsSQL: the catalog queries of SQL Server and Oracle,
// which cannot run here, checked as text.
func TestEmployeeIndexExistsSQL(t *testing.T) {
	for _, c := range []struct{ dialect, want string }{
		{"sqlserver", "SELECT COUNT(*) FROM sys.indexes WHERE name = @p1 AND object_id = OBJECT_ID(@p2) [attendance_punches_employee_time [attendance_punches]]"},
		{"oracle", "SELECT COUNT(*) FROM all_indexes WHERE index_name = :1 AND table_name = :2 AND owner = COALESCE(:3, USER) [ATTENDANCE_PUNCHES_EMPLOYEE_TIME ATTENDANCE_PUNCHES <nil>]"},
	} {
		q, args := goldenStatements(t, c.dialect).employeeIndexExists()
		if got := fmt.Sprint(q, " ", args); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.dialect, got, c.want)
		}
	}
}
