package importer

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sqlsink"
	"github.com/hrsync/hrsync/sources"
)

// OpenHR opens the HR database named by hr.url. Tables are created only
// when writing and allowed to (a dry run never creates anything).
func OpenHR(ctx context.Context, cfg *config.Config, writing bool) (*sqlsink.Sink, error) {
	return openHR(ctx, cfg, writing, false)
}

// OpenHREmployees opens the HR database for its employees table alone
// (push-users): a database without hrsync's punch table is fine.
func OpenHREmployees(ctx context.Context, cfg *config.Config, writing bool) (*sqlsink.Sink, error) {
	return openHR(ctx, cfg, writing, true)
}

func openHR(ctx context.Context, cfg *config.Config, writing, employeesOnly bool) (*sqlsink.Sink, error) {
	// A dry run never creates anything; otherwise the sink's default (create
	// for sqlite://, not for server databases) unless the config says.
	create := cfg.HR.CreateTables
	if !writing {
		no := false
		create = &no
	}
	// The tables as config checked them: the same settings, read once.
	emps, punches := cfg.HRTables()
	s, err := sqlsink.Open(ctx, sqlsink.Config{
		URL:              cfg.HR.URL, // a sqlite path resolved when the config was parsed
		Credentials:      sqldb.Credentials{User: cfg.HR.User, Password: string(cfg.HR.Password)},
		Employees:        emps,
		Punches:          punches,
		Create:           create,
		BatchSize:        cfg.HR.BatchSize,
		StatementTimeout: time.Duration(cfg.HR.StatementTimeout),
		Zone:             cfg.HR.Location(),
		EmployeesOnly:    employeesOnly,
	})
	if err != nil {
		return nil, fmt.Errorf("hr: %w", err)
	}
	return s, nil
}

// employeeLister reads the directory from the HR database.
type employeeLister interface {
	Employees(ctx context.Context) ([]mapping.Employee, error)
}

// LoadDirectory reads the employee directory from hr.employees.file when
// set, else from the HR database.
func LoadDirectory(ctx context.Context, cfg *config.Config, hr employeeLister) (*Directory, error) {
	var (
		emps []mapping.Employee
		err  error
	)
	if cfg.HR.Employees.File != "" {
		emps, err = ReadEmployees(ctx, cfg.EmployeesFile(), cfg.HR.Employees.Columns)
	} else {
		emps, err = hr.Employees(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("employee directory: %w", err)
	}
	return NewDirectory(emps, cfg.HR.Employees.Match, cfg.HR.Employees.KeyTransform)
}

// ReadEmployees reads an employee list with a header row from each part
// of t. columns maps an employee field to its header name when the two differ.
func ReadEmployees(ctx context.Context, t *sources.Table, columns map[string]string) ([]mapping.Employee, error) {
	var out []mapping.Employee
	err := t.Each(ctx, func(where string, r sources.FileReader) error {
		var fields [][]string // field names per column index
		var header []string
		for {
			row, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			if row.Err != nil {
				return fmt.Errorf("%s line %d: %w", where, row.Origin.Line, row.Err)
			}
			if fields == nil {
				header = row.Header
				fields = employeeColumns(row.Header, columns)
				if !slices.ContainsFunc(fields, func(fs []string) bool { return slices.Contains(fs, "id") }) {
					return fmt.Errorf("%s: no %q column (the employee id; name another with hr.employees.columns: { id: COLUMN }); the file's columns are %s",
						where, columnFor("id", columns), quoteList(header))
				}
			}
			var e mapping.Employee
			for i, v := range row.Fields {
				if i < len(fields) {
					for _, f := range fields[i] {
						e.SetField(f, strings.TrimSpace(v))
					}
				}
			}
			if e.ID == "" {
				return fmt.Errorf("%s line %d: column %q (the employee id) is blank", where, row.Origin.Line, columnFor("id", columns))
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// employeeColumns names the fields each column fills. A column that
// columns: maps to a field keeps its own name's field too, unless another
// column is mapped to that one: with columns: { id: employee_no } the
// employee_no column is the id and still matches as employee_no.
func employeeColumns(header []string, columns map[string]string) [][]string {
	byHeader := map[string][]string{}
	mapped := map[string]bool{}
	for field, col := range columns {
		n := mapping.NormalizeHeader(col)
		byHeader[n] = append(byHeader[n], field)
		mapped[field] = true
	}
	out := make([][]string, len(header))
	for i, h := range header {
		n := mapping.NormalizeHeader(h)
		own := strings.ReplaceAll(n, " ", "_")
		fs := append([]string(nil), byHeader[n]...)
		sort.Strings(fs)
		if !mapped[own] && !slices.Contains(fs, own) {
			fs = append(fs, own)
		}
		out[i] = fs
	}
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

func columnFor(field string, columns map[string]string) string {
	if c, ok := columns[field]; ok {
		return c
	}
	return field
}
