// Package sqlsrc reads punches from a database: a table whose mapped
// columns hrsync selects, or a query of the customer's own. Rows stream in
// watermark order; the window (watermark, time range, employee keys) is
// pushed down into SQL as bound parameters, never as string-built values.
package sqlsrc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/internal/sqldb"
)

// Watermark kinds.
const (
	KindTime = "time" // a timestamp column: the next read starts at the stored value less the overlap
	KindID   = "id"   // an increasing number: the next read starts after the stored value
)

// Watermark makes reads incremental: rows come ordered by Column, and each
// row's Cursor says how far the source has been read.
type Watermark struct {
	Column string
	Kind   string // KindTime (default) or KindID
	// Overlap re-reads this much before the stored value (time kind), so
	// punches that reach the database late are not missed; the sink's
	// idempotent writes absorb the rows read twice.
	Overlap time.Duration
}

// Config says where the rows are.
type Config struct {
	Name        string // the source's name, for Origin and messages
	URL         string
	Credentials sqldb.Credentials
	// Table, with Columns: hrsync writes the SELECT. Query: the customer's
	// own SELECT, wrapped as a subquery so the window can be pushed down.
	Table, Query string
	// Columns are the mapped column names to select (table mode).
	Columns []string
	// AllColumns selects every column of the table, its header learned
	// from the database (map-check --suggest, before there is a mapping).
	AllColumns bool
	// TimeColumn and KeyColumn carry the window's time range and key list;
	// either may be empty, then that part of the window cannot be pushed
	// down (a time range is then refused; keys are filtered after reading).
	TimeColumn, KeyColumn string
	Watermark             *Watermark
	// Location is the source's zone: columns that hold an instant
	// (TIMESTAMPTZ, DATETIMEOFFSET, MySQL TIMESTAMP) are shown as wall
	// clock in it, and the window's From/To are bound in it for columns
	// without a zone. Nil means UTC.
	Location *time.Location
	// Attempts bounds the tries for transient faults (lost connection,
	// deadlock) when connecting and starting a read; 0 means 4.
	Attempts int
	// StatementTimeout bounds the checks at open, the start of a read and
	// each wait for a read's next row (not the time the caller takes
	// between rows); 0 means sqldb.DefaultStatementTimeout. A read stopped
	// by it fails with a sqldb.TimeoutError naming the source's key.
	StatementTimeout time.Duration
}

func (c *Config) deadline() sqldb.Deadline {
	return sqldb.Deadline{Limit: c.StatementTimeout, Key: "sources." + c.Name + ".statement_timeout"}
}

// Window is the part of the source one read wants.
type Window struct {
	After    string    // the stored watermark; "" reads from the start
	From, To time.Time // on TimeColumn: From <= t < To; zero = open
	Keys     []string  // source-side employee keys to keep; nil = all
}

// Source is an open database source.
type Source struct {
	cfg   Config
	db    *sqldb.DB
	where string // "table X in URL" or "query in URL", for messages
	// zoned reports, per column (lower-cased), whether it holds an instant.
	zoned map[string]bool
	// header is the column list of a read, as the mapping sees it.
	header []string
	// selectList is the table mode's quoted column list.
	selectList string
	// wmIndex is the watermark column's position in a result row (-1: none);
	// keyIndex the key column's.
	wmIndex, keyIndex int
}

const defaultAttempts = 4

// Open connects, checks that the table (or query) and every configured
// column exist, and learns the column types. A missing table or column,
// or bad credentials, fail at once with a message naming it.
func Open(ctx context.Context, cfg Config) (*Source, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = defaultAttempts
	}
	var db *sqldb.DB
	err := sqldb.Retry(ctx, cfg.Attempts, func(ctx context.Context) error {
		var err error
		db, err = sqldb.Open(ctx, cfg.URL, cfg.Credentials)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", cfg.Name, err)
	}
	s := &Source{cfg: cfg, db: db}
	pctx, cancel := cfg.deadline().Start(ctx, "checking the columns of "+db.URL)
	err = sqldb.Timeout(pctx, s.prepare(pctx))
	cancel()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("source %s: %w", cfg.Name, err)
	}
	return s, nil
}

func (c *Config) check() error {
	switch {
	case c.URL == "":
		return fmt.Errorf("source %s: url is required", c.Name)
	case (c.Table == "") == (c.Query == ""):
		return fmt.Errorf("source %s: set either table or query", c.Name)
	case c.Table != "" && len(c.Columns) == 0 && !c.AllColumns:
		return fmt.Errorf("source %s: table %s: no columns to select (map employee_key and time to column names)", c.Name, c.Table)
	}
	if w := c.Watermark; w != nil {
		if err := w.Check(); err != nil {
			return fmt.Errorf("source %s: watermark.%w", c.Name, err)
		}
		if w.Kind == "" {
			w.Kind = KindTime
		}
	}
	return nil
}

// WatermarkKinds are the values Watermark.Kind accepts ("" is time).
var WatermarkKinds = []string{KindTime, KindID}

// Check tests a watermark as a read does; a *setting.Error names the bad
// key (column, kind, overlap). Config calls it, so that config check
// rejects what import would and the kinds are declared once, here.
func (w Watermark) Check() error {
	kind := w.Kind
	if kind == "" {
		kind = KindTime
	}
	switch {
	case w.Column == "":
		return &setting.Error{Key: "column", Msg: "is required"}
	case !slices.Contains(WatermarkKinds, kind):
		return &setting.Error{Key: "kind", Msg: fmt.Sprintf("%q: want %s", w.Kind, strings.Join(WatermarkKinds, ", "))}
	case w.Overlap < 0 || (w.Overlap > 0 && kind == KindID):
		return &setting.Error{Key: "overlap", Msg: "a positive duration, and only for kind time"}
	}
	return nil
}

// Close closes the connection.
func (s *Source) Close() error { return s.db.Close() }

// Where names the table or query and the database (password redacted).
func (s *Source) Where() string { return s.where }

// File is what a row's Origin.File says: the table name, or "query".
func (s *Source) File() string {
	if s.cfg.Table != "" {
		return s.cfg.Table
	}
	return "query"
}

// prepare validates the names and runs the SELECT with a condition that
// is never true, to learn the result's columns and their types.
func (s *Source) prepare(ctx context.Context) error {
	d := s.db.Dialect
	if s.cfg.Table != "" {
		s.where = fmt.Sprintf("table %s in %s", s.cfg.Table, s.db.URL)
		cols := append([]string(nil), s.cfg.Columns...)
		if w := s.cfg.Watermark; w != nil && indexFold(cols, w.Column) < 0 {
			cols = append(cols, w.Column) // the cursor needs it, the mapping ignores it
		}
		quoted := make([]string, len(cols))
		for i, c := range cols {
			q, err := d.Quote("column", c)
			if err != nil {
				return err
			}
			quoted[i] = q
		}
		if _, err := d.Quote("table", s.cfg.Table); err != nil {
			return err
		}
		s.header = cols
		s.selectList = strings.Join(quoted, ", ")
		if s.cfg.AllColumns {
			s.selectList = "*"
		}
	} else {
		s.where = "query in " + s.db.URL
	}
	for _, c := range []string{s.cfg.TimeColumn, s.cfg.KeyColumn} {
		if c != "" {
			if _, err := d.Quote("column", c); err != nil {
				return err
			}
		}
	}
	if w := s.cfg.Watermark; w != nil {
		if _, err := d.Quote("watermark.column", w.Column); err != nil {
			return err
		}
	}
	probe, err := s.probeSQL()
	if err != nil {
		return err
	}
	var names []string
	err = sqldb.Retry(ctx, s.cfg.Attempts, func(ctx context.Context) error {
		rows, err := s.db.QueryContext(ctx, probe)
		if err != nil {
			return err
		}
		defer rows.Close()
		types, err := rows.ColumnTypes()
		if err != nil {
			return err
		}
		names = names[:0]
		s.zoned = map[string]bool{}
		for _, t := range types {
			names = append(names, t.Name())
			s.zoned[strings.ToLower(t.Name())] = zonedType(d.Name(), t.DatabaseTypeName())
		}
		return rows.Err()
	})
	if err != nil {
		return s.explain(err)
	}
	if s.cfg.Query != "" || s.cfg.AllColumns {
		s.header = names
	}
	// A query's columns are known only now: check that the named ones exist.
	// In a fixed order, so the message is the same on every run.
	need := [][2]string{{"key column", s.cfg.KeyColumn}, {"time column", s.cfg.TimeColumn}}
	if s.cfg.Watermark != nil {
		need = append(need, [2]string{"watermark.column", s.cfg.Watermark.Column})
	}
	var missing []string
	for _, n := range need {
		if n[1] != "" && indexFold(names, n[1]) < 0 {
			missing = append(missing, fmt.Sprintf("%s %q", n[0], n[1]))
		}
	}
	if len(missing) > 0 {
		verb := "is not a column"
		if len(missing) > 1 {
			verb = "are not columns"
		}
		return fmt.Errorf("%s %s of the %s (columns: %s)", strings.Join(missing, " and "), verb, s.where, strings.Join(names, ", "))
	}
	s.wmIndex, s.keyIndex = -1, -1
	if s.cfg.Watermark != nil {
		s.wmIndex = indexFold(s.header, s.cfg.Watermark.Column)
	}
	if s.cfg.KeyColumn != "" {
		s.keyIndex = indexFold(s.header, s.cfg.KeyColumn)
	}
	return nil
}

// explain turns a permanent error into one naming what is missing and where.
func (s *Source) explain(err error) error {
	cols := append([]string(nil), s.header...)
	cols = append(cols, s.cfg.TimeColumn, s.cfg.KeyColumn)
	if s.cfg.Watermark != nil {
		cols = append(cols, s.cfg.Watermark.Column)
	}
	if s.cfg.Table != "" {
		return s.db.Explain(err, s.cfg.Table, nonEmpty(cols)...)
	}
	if sqldb.Classify(err) == sqldb.AccessDenied {
		return s.db.Explain(err, "query", nonEmpty(cols)...)
	}
	return fmt.Errorf("the query in %s: %w", s.db.URL, err)
}

// zonedType reports whether a column type holds an instant rather than a
// wall-clock time, by the driver's type name.
func zonedType(dialect, typeName string) bool {
	t := strings.ToUpper(typeName)
	switch dialect {
	case sqldb.MySQL:
		return t == "TIMESTAMP" // stored as UTC, shown in the session zone (UTC)
	case sqldb.Postgres:
		return t == "TIMESTAMPTZ"
	case sqldb.SQLServer:
		return t == "DATETIMEOFFSET"
	case sqldb.Oracle:
		return strings.Contains(t, "TZ") || strings.Contains(t, "TIME ZONE")
	}
	return false
}

func indexFold(list []string, s string) int {
	for i, v := range list {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}

func nonEmpty(list []string) []string {
	out := list[:0:0]
	for _, v := range list {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

var errNoTimeColumn = errors.New("a time range needs the time column (map time to a column name)")
