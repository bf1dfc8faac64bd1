package sqlsink

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// EmployeeWrite is one change to the employees table (push-users).
type EmployeeWrite struct {
	// Insert adds a row; otherwise the row whose id is ID is updated.
	Insert bool
	ID     string
	// Values maps an employee field (id, name, status, ...) or, for
	// anything that is no field (extra attributes, a password column),
	// a column name, to the value to write; "" writes NULL. Only these
	// columns are written.
	Values map[string]string
}

// WriteEmployees makes the writes in one transaction: an insert names
// only the given columns, an update sets only the given columns of the
// row with that id. An update that matches no row fails the transaction
// with an error naming the id. Values never appear in errors (a password
// column may be among them).
func (s *Sink) WriteEmployees(ctx context.Context, writes []EmployeeWrite) error {
	ctx, cancel := s.deadline.Start(ctx, fmt.Sprintf("writing %d employees to %s", len(writes), s.emp.rawTable))
	defer cancel()
	return sqldb.Timeout(ctx, s.writeEmployees(ctx, writes))
}

func (s *Sink) writeEmployees(ctx context.Context, writes []EmployeeWrite) error {
	if s.emp.query != "" {
		return fmt.Errorf("employees come from a query: there is no table to write them to (set hr.employees.table)")
	}
	d := s.db.Dialect
	idCol, err := d.Quote("employees.columns.id", s.emp.column["id"])
	if err != nil {
		return err
	}
	quoted := map[string]string{}
	col := func(key string) (string, error) {
		if q, ok := quoted[key]; ok {
			return q, nil
		}
		name := key
		if c, ok := s.emp.column[key]; ok {
			name = c
		}
		q, err := d.Quote("employees column", name)
		if err != nil {
			return "", err
		}
		quoted[key] = q
		return q, nil
	}
	err = sqldb.Retry(ctx, retryAttempts, func(ctx context.Context) error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			for _, w := range writes {
				keys := make([]string, 0, len(w.Values))
				for k := range w.Values {
					if k != "id" {
						keys = append(keys, k)
					}
				}
				sort.Strings(keys)
				cols := make([]string, 0, len(keys)+1)
				args := make([]any, 0, len(keys)+1)
				for _, k := range keys {
					q, err := col(k)
					if err != nil {
						return err
					}
					cols = append(cols, q)
					args = append(args, nullIfEmpty(w.Values[k]))
				}
				if w.Insert {
					cols = append(cols, idCol)
					args = append(args, w.ID)
					marks := make([]string, len(cols))
					for i := range marks {
						marks[i] = d.Placeholder(i + 1)
					}
					q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", s.emp.table, strings.Join(cols, ", "), strings.Join(marks, ", "))
					if _, err := tx.ExecContext(ctx, q, args...); err != nil {
						return fmt.Errorf("insert employee %s: %w", w.ID, err)
					}
					continue
				}
				if len(cols) == 0 {
					continue
				}
				sets := make([]string, len(cols))
				for i, c := range cols {
					sets[i] = c + " = " + d.Placeholder(i+1)
				}
				args = append(args, w.ID)
				q := fmt.Sprintf("UPDATE %s SET %s WHERE %s = %s", s.emp.table, strings.Join(sets, ", "), idCol, d.Placeholder(len(cols)+1))
				res, err := tx.ExecContext(ctx, q, args...)
				if err != nil {
					return fmt.Errorf("update employee %s: %w", w.ID, err)
				}
				if n, err := res.RowsAffected(); err == nil && n == 0 {
					// MySQL counts changed rows, not matched ones: check.
					var one int
					probe := fmt.Sprintf("SELECT 1 FROM %s WHERE %s = %s", s.emp.table, idCol, d.Placeholder(1))
					if err := tx.QueryRowxContext(ctx, probe, w.ID).Scan(&one); err != nil {
						return fmt.Errorf("update employee %s: no row with this id", w.ID)
					}
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("write employees: %w", s.db.Explain(err, s.emp.rawTable))
	}
	return nil
}
