package sqlsink

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/internal/sqldb"
)

// Config says where the HR database is and how its tables are named.
type Config struct {
	// URL of the HR database (sqlite://, mysql://, postgres://, sqlserver://,
	// oracle://). Credentials, when set, replace the user and password in it.
	URL         string
	Credentials sqldb.Credentials

	Employees EmployeesTable
	Punches   PunchesTable

	// Create makes missing tables (and their indexes). nil means: yes for
	// sqlite://, no for server databases, where tables belong to the DBA.
	Create *bool

	// BatchSize is the most rows one INSERT carries; 0 picks a size that
	// suits the database. It is lowered to fit the database's limit on
	// bind parameters. MySQL/MariaDB and PostgreSQL bulk-load a whole
	// WritePunches call instead, and use it only when they fall back to
	// INSERT.
	BatchSize int

	// Zone is where the HR database keeps naive date-times (DATETIME,
	// timestamp without time zone, DATETIME2, Oracle DATE and TIMESTAMP,
	// SQLite text): punch times are written as its wall clock and read
	// back in it. Zone-aware columns (timestamptz, datetimeoffset, MySQL
	// TIMESTAMP) hold instants whatever it says. nil means UTC.
	Zone *time.Location

	// EmployeesOnly opens the sink for the employees table alone (push-users):
	// the punch table is neither checked nor created, and need not exist.
	EmployeesOnly bool

	// StatementTimeout bounds each operation on the database: a batch's
	// transaction (with its retries), a directory read, a resync
	// employee's transaction, the wait for a stored punch read's next row.
	// 0 means sqldb.DefaultStatementTimeout (hr.statement_timeout).
	StatementTimeout time.Duration
}

func (c *Config) deadline() sqldb.Deadline {
	return sqldb.Deadline{Limit: c.StatementTimeout, Key: "hr.statement_timeout"}
}

// EmployeesTable is where the employee directory is read from: a table
// whose columns are named by Columns, or a query.
type EmployeesTable struct {
	// Table defaults to "employees".
	Table string
	// Columns maps an employee field (id, attendance_no, employee_no, ...;
	// see EmployeeFields) to the column holding it; unlisted fields use
	// a column of the field's own name when the table has one. Columns
	// that match no field are kept in Employee.Extra.
	Columns map[string]string
	// Query, when set, replaces Table: a SELECT whose columns are named
	// (aliased) after the fields, e.g. `SELECT emp_code AS id, ...`.
	Query string
}

// PunchesTable is where punches are written.
type PunchesTable struct {
	// Table defaults to "attendance_punches".
	Table string
	// Columns maps a punch field (see PunchFields) to its column; unlisted
	// fields use the field's name. Map an optional field (direction,
	// source, source_key, imported_at) to "" when the table has no
	// column for it.
	Columns map[string]string
	// EmployeeIndex, when Create makes the table, adds an index on
	// (employee_id, punch_time) for reading one person's punches. nil
	// means no: input arrives in time order, so this index is written all
	// over at every commit (1M punches into SQLite in 10k-row transactions:
	// about 5x slower; see BenchmarkWritePunches), while resync reads a
	// slice of employees well enough off the time-first unique key.
	EmployeeIndex *bool
	// DirectionInKey, when Create makes the table, puts the direction in
	// its unique key, so an in and an out of one employee in the same
	// second (a minute-precision export) are two rows. nil means yes on
	// SQLite, MySQL/MariaDB and PostgreSQL, whose keys Open reads back
	// from an existing table; no on SQL Server and Oracle, where it cannot
	// be set. An existing table keeps the key it has: true there is an
	// error when its key lacks the direction.
	DirectionInKey *bool
}

// EmployeeFields are the employee fields, in the order of the table hrsync
// creates.
var EmployeeFields = []string{
	"id", "attendance_no", "employee_no", "placement_no", "name", "status", "sbu", "state",
	"branch", "factory", "department", "sub_department", "designation", "employee_type",
	"email", "onboarding_date", "resignation_date",
}

// PunchFields are the punch fields, in the order of the table hrsync creates.
var PunchFields = []string{"employee_id", "punch_time", "direction", "device_id", "source", "source_key", "imported_at"}

// keyFields is the unique key of a punch, time first: input arrives sorted
// by time, so this order appends to the index instead of scattering
// writes across it.
var keyFields = []string{"punch_time", "employee_id", "device_id"}

// keyOf is the unique key, with the direction last when it is part of it.
func keyOf(direction bool) []string {
	if direction {
		return append(slices.Clip(keyFields), "direction")
	}
	return keyFields
}

const (
	defaultEmployeesTable = "employees"
	defaultPunchesTable   = "attendance_punches"
)

// punchColumns is the resolved punch table: quoted names for SQL, raw
// names for messages, in PunchFields order with omitted fields dropped.
type punchColumns struct {
	table    string   // quoted
	rawTable string   // as configured
	fields   []string // fields that have a column
	quoted   []string // quoted column per field
	raw      []string // column name per field, as configured
}

func (p punchColumns) col(field string) string {
	return p.quoted[slices.Index(p.fields, field)]
}

func (p punchColumns) has(field string) bool { return slices.Contains(p.fields, field) }

func resolvePunches(d sqldb.Dialect, t PunchesTable) (punchColumns, error) {
	var p punchColumns
	p.rawTable = t.Table
	if p.rawTable == "" {
		p.rawTable = defaultPunchesTable
	}
	var err error
	if p.table, err = quote(d, "punches.table", p.rawTable); err != nil {
		return p, err
	}
	if err := checkFieldNames("punches.columns", t.Columns, PunchFields); err != nil {
		return p, err
	}
	for _, f := range PunchFields {
		name, set := t.Columns[f]
		if !set {
			name = f
		}
		if name == "" {
			if slices.Contains(keyFields, f) {
				return p, &setting.Error{Key: "punches.columns." + f, Msg: "cannot be empty, it is part of the punch's unique key"}
			}
			continue
		}
		q, err := quote(d, "punches.columns."+f, name)
		if err != nil {
			return p, err
		}
		p.fields = append(p.fields, f)
		p.quoted = append(p.quoted, q)
		p.raw = append(p.raw, name)
	}
	return p, nil
}

// quote is Dialect.Quote with its error as a *setting.Error on key.
func quote(d sqldb.Dialect, key, ident string) (string, error) {
	if err := sqldb.CheckIdent(ident); err != nil {
		return "", &setting.Error{Key: key, Msg: err.Error()}
	}
	return d.Quote(key, ident)
}

// CheckTables tests the table settings as Open does, without connecting:
// known fields, names the URL's dialect can quote, no column named twice.
// A *setting.Error names the key (employees.columns, punches.table, ...).
// Config calls it, so that config check rejects what a run would. Without
// the employees table (the directory comes from a file) pass it empty.
func CheckTables(url string, employees EmployeesTable, punches PunchesTable) error {
	name, ok := sqldb.DialectOf(url)
	if !ok {
		return sqldb.CheckScheme(url)
	}
	d, err := sqldb.DialectFor(name)
	if err != nil {
		return err
	}
	p, err := resolvePunches(d, punches)
	if err != nil {
		return err
	}
	if _, err := createWithDirection(d, p, punches.DirectionInKey); err != nil {
		return err
	}
	_, err = resolveEmployees(d, employees)
	return err
}

func checkFieldNames(key string, columns map[string]string, fields []string) error {
	var unknown []string
	for f := range columns {
		if !slices.Contains(fields, f) {
			unknown = append(unknown, f)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return &setting.Error{Key: key, Msg: fmt.Sprintf("unknown field %s (fields are %s)", strings.Join(unknown, ", "), strings.Join(fields, ", "))}
	}
	return nil
}

// employeeColumns is the resolved employee table.
type employeeColumns struct {
	table    string // quoted; empty when Query is used
	rawTable string
	query    string
	// byColumn maps a lower-cased column name to its field.
	byColumn map[string]string
	// column maps a field to its column name, as configured.
	column map[string]string
}

func resolveEmployees(d sqldb.Dialect, t EmployeesTable) (employeeColumns, error) {
	e := employeeColumns{byColumn: map[string]string{}, column: map[string]string{}}
	if err := checkFieldNames("employees.columns", t.Columns, EmployeeFields); err != nil {
		return e, err
	}
	if t.Query != "" {
		if t.Table != "" {
			return e, &setting.Error{Key: "employees", Msg: "set either table or query, not both"}
		}
		if len(t.Columns) > 0 {
			return e, &setting.Error{Key: "employees", Msg: "columns cannot be used with query; alias the query's columns after the fields instead (SELECT code AS id, ...)"}
		}
		e.query = t.Query
		for _, f := range EmployeeFields {
			e.byColumn[f] = f
			e.column[f] = f
		}
		return e, nil
	}
	e.rawTable = t.Table
	if e.rawTable == "" {
		e.rawTable = defaultEmployeesTable
	}
	var err error
	if e.table, err = quote(d, "employees.table", e.rawTable); err != nil {
		return e, err
	}
	// Configured names first; a field left out uses its own name as the
	// column, unless a configured field already claims that column.
	for _, f := range EmployeeFields {
		name, set := t.Columns[f]
		if !set {
			continue
		}
		if _, err := quote(d, "employees.columns."+f, name); err != nil {
			return e, err
		}
		if other, dup := e.byColumn[strings.ToLower(name)]; dup {
			return e, &setting.Error{Key: "employees.columns", Msg: fmt.Sprintf("%s and %s both name column %q", other, f, name)}
		}
		e.byColumn[strings.ToLower(name)] = f
		e.column[f] = name
	}
	for _, f := range EmployeeFields {
		if _, set := t.Columns[f]; set {
			continue
		}
		if _, claimed := e.byColumn[f]; claimed {
			continue
		}
		e.byColumn[f] = f
		e.column[f] = f
	}
	return e, nil
}
