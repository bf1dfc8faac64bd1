package pushusers

import (
	"context"
	"log/slog"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sqlsink"
)

// employeeTable is what the database target needs of the HR database.
type employeeTable interface {
	Employees(ctx context.Context) ([]mapping.Employee, error)
	WriteEmployees(ctx context.Context, writes []sqlsink.EmployeeWrite) error
}

// SQLTarget is the hr: section's employees table as a target. All
// changes go in one transaction: they all land or none do.
type SQLTarget struct {
	table employeeTable
	// passwordColumn receives the password on insert; "" stores none.
	passwordColumn string
}

// NewSQLTarget wraps an open HR database.
func NewSQLTarget(t employeeTable, passwordColumn string) *SQLTarget {
	return &SQLTarget{table: t, passwordColumn: passwordColumn}
}

// Employees lists the table.
func (t *SQLTarget) Employees(ctx context.Context) ([]mapping.Employee, error) {
	return t.table.Employees(ctx)
}

// Apply writes every change in one transaction.
func (t *SQLTarget) Apply(ctx context.Context, changes []Change) ([]error, error) {
	writes := make([]sqlsink.EmployeeWrite, len(changes))
	for i, c := range changes {
		w := sqlsink.EmployeeWrite{Insert: c.Create, ID: c.Employee.ID, Values: map[string]string{}}
		if c.Create {
			for _, f := range mapping.EmployeeFields {
				if v := c.Employee.Field(f); v != "" {
					w.Values[f] = v
				}
			}
			for k, v := range c.Employee.Extra {
				if v != "" {
					w.Values[k] = v
				}
			}
			if t.passwordColumn != "" && c.Password != "" {
				w.Values[t.passwordColumn] = c.Password.Reveal()
			}
		} else {
			for _, f := range c.Fields {
				if f != "password" {
					w.Values[f] = c.Employee.Field(f)
				}
			}
		}
		writes[i] = w
	}
	if err := t.table.WriteEmployees(ctx, writes); err != nil {
		return nil, err
	}
	return make([]error, len(changes)), nil
}

// OpenTarget opens the target the config names. The database target is
// the hr: section's employees table; writing says whether tables may be
// created (never on a dry run).
func OpenTarget(ctx context.Context, cfg *config.Config, writing bool, log *slog.Logger) (Target, func(), error) {
	if cfg.PushUsers.Target.Kind == config.TargetIclock {
		return OpenIclockTarget(ctx, cfg)
	}
	if cfg.PushUsers.Target.Kind != config.TargetDatabase {
		t, err := OpenRemoteTarget(cfg, log)
		return t, func() {}, err
	}
	hr, err := importer.OpenHREmployees(ctx, cfg, writing)
	if err != nil {
		return nil, nil, err
	}
	return NewSQLTarget(hr, cfg.PushUsers.Target.PasswordColumn), func() { hr.Close() }, nil
}
