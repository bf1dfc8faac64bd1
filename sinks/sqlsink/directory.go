package sqlsink

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// Employees reads the whole employee directory, from the table or the
// query the configuration names. Columns that match no field land in
// Employee.Extra under their own (lower-cased) name.
func (s *Sink) Employees(ctx context.Context) ([]mapping.Employee, error) {
	ctx, cancel := s.deadline.Start(ctx, "reading the employee directory from "+s.db.URL)
	defer cancel()
	out, err := s.employees(ctx)
	return out, sqldb.Timeout(ctx, err)
}

func (s *Sink) employees(ctx context.Context) ([]mapping.Employee, error) {
	q, where := s.emp.query, "employees query"
	if q == "" {
		q, where = "SELECT * FROM "+s.emp.table, "table "+s.emp.rawTable
	}
	rows, err := s.db.QueryxContext(ctx, q)
	if err != nil {
		if s.emp.query != "" {
			return nil, fmt.Errorf("employees query in %s: %w", s.db.URL, err)
		}
		return nil, fmt.Errorf("read employees: %w", s.db.Explain(err, s.emp.rawTable))
	}
	rr, err := sqldb.NewRowReader(rows.Rows)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	cols := rr.Columns
	fields := make([]string, len(cols))
	hasID := false
	for i, c := range cols {
		fields[i] = s.emp.byColumn[strings.ToLower(c)]
		hasID = hasID || fields[i] == "id"
	}
	if !hasID {
		if s.emp.query != "" {
			return nil, fmt.Errorf("employees query in %s returns no id column (columns: %s): alias the employee id AS id", s.db.URL, strings.Join(cols, ", "))
		}
		return nil, fmt.Errorf("table %s in %s has no column %q for the employee id (columns: %s): set employees.columns.id", s.emp.rawTable, s.db.URL, s.emp.column["id"], strings.Join(cols, ", "))
	}
	var out []mapping.Employee
	for rr.Next() {
		values, err := rr.Texts(directoryText)
		if err != nil {
			return nil, fmt.Errorf("%s in %s, row %d: %w", where, s.db.URL, rr.N, err)
		}
		var e mapping.Employee
		for i, v := range values {
			setField(&e, fields[i], strings.ToLower(cols[i]), v)
		}
		out = append(out, e)
	}
	if err := rr.Err(); err != nil {
		return nil, fmt.Errorf("%s in %s: %w", where, s.db.URL, err)
	}
	return out, nil
}

// setField stores a column's value: in the employee field it maps to, or
// in Extra under the column's name.
func setField(e *mapping.Employee, field, column, value string) {
	if slices.Contains(mapping.EmployeeFields, field) {
		e.SetField(field, value)
		return
	}
	if e.Extra == nil {
		e.Extra = map[string]string{}
	}
	e.Extra[column] = value
}

// UpsertEmployees writes the employees into the directory table, replacing
// any with the same id, in one transaction. It fills the columns the table
// has (fields by their configured column, Extra by column name); it is
// meant for seeding examples and tests, not for bulk loads.
func (s *Sink) UpsertEmployees(ctx context.Context, employees []mapping.Employee) error {
	ctx, cancel := s.deadline.Start(ctx, "writing employees to "+s.emp.rawTable)
	defer cancel()
	return sqldb.Timeout(ctx, s.upsertEmployees(ctx, employees))
}

func (s *Sink) upsertEmployees(ctx context.Context, employees []mapping.Employee) error {
	if s.emp.query != "" {
		return fmt.Errorf("employees come from a query: there is no table to write them to")
	}
	rows, err := s.db.QueryxContext(ctx, "SELECT * FROM "+s.emp.table+" WHERE 1 = 0")
	if err != nil {
		return fmt.Errorf("write employees: %w", s.db.Explain(err, s.emp.rawTable))
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return err
	}
	d := s.db.Dialect
	var quoted []string
	var fields []string // field name, or "extra:" + column
	for _, c := range cols {
		q, err := d.Quote("employees table column", c)
		if err != nil {
			continue // a column we could not name safely: leave it to its default
		}
		f := s.emp.byColumn[strings.ToLower(c)]
		if f == "" {
			f = "extra:" + strings.ToLower(c)
		}
		quoted = append(quoted, q)
		fields = append(fields, f)
	}
	idCol, err := d.Quote("employees.columns.id", s.emp.column["id"])
	if err != nil {
		return err
	}
	marks := make([]string, len(quoted))
	for i := range marks {
		marks[i] = d.Placeholder(i + 1)
	}
	del := fmt.Sprintf("DELETE FROM %s WHERE %s = %s", s.emp.table, idCol, d.Placeholder(1))
	ins := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", s.emp.table, strings.Join(quoted, ", "), strings.Join(marks, ", "))
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		for i := range employees {
			e := &employees[i]
			if e.ID == "" {
				return fmt.Errorf("employee %d (%s): no id", i+1, e.Name)
			}
			if _, err := tx.ExecContext(ctx, del, e.ID); err != nil {
				return err
			}
			args := make([]any, len(fields))
			for j, f := range fields {
				v := e.Extra[strings.TrimPrefix(f, "extra:")]
				if slices.Contains(mapping.EmployeeFields, f) {
					v = e.Field(f)
				}
				args[j] = nullIfEmpty(v)
			}
			if _, err := tx.ExecContext(ctx, ins, args...); err != nil {
				return fmt.Errorf("employee %s: %w", e.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write employees: %w", s.db.Explain(err, s.emp.rawTable))
	}
	return nil
}

// nullIfEmpty stores absent values as NULL, so that typed columns (dates)
// accept them.
func nullIfEmpty(v string) any {
	if v == "" {
		return nil
	}
	return v
}
