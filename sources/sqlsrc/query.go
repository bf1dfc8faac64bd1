package sqlsrc

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	mssql "github.com/microsoft/go-mssqldb"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// from is the FROM clause: the quoted table, or the query as a subquery.
func (s *Source) from() string {
	if s.cfg.Table != "" {
		t, _ := s.db.Dialect.Quote("table", s.cfg.Table) // validated in prepare
		return t
	}
	return "(" + trimQuery(s.cfg.Query) + ") q"
}

// trimQuery drops what cannot stand inside a subquery: a trailing ";".
func trimQuery(q string) string {
	return strings.TrimRight(strings.TrimSpace(q), "; \t\r\n")
}

func (s *Source) columns() string {
	if s.cfg.Table != "" {
		return s.selectList
	}
	return "*"
}

func (s *Source) probeSQL() (string, error) {
	return "SELECT " + s.columns() + " FROM " + s.from() + " WHERE 1=0", nil
}

// statement is one SELECT with its bound values.
type statement struct {
	sql  string
	args []any
	// keep, when set, filters keys after reading: the key list did not fit
	// in the dialect's parameter limit.
	keep map[string]struct{}
}

// build writes the SELECT for a window. Every value from the window is a
// bound parameter.
func (s *Source) build(w Window) (statement, error) {
	d := s.db.Dialect
	var (
		st    statement
		conds []string
	)
	param := func(v any) string {
		st.args = append(st.args, v)
		return d.Placeholder(len(st.args))
	}
	quote := func(c string) string { q, _ := d.Quote("column", c); return q } // validated in prepare
	if wm := s.cfg.Watermark; wm != nil && w.After != "" {
		v, err := s.afterValue(w.After)
		if err != nil {
			return st, err
		}
		conds = append(conds, quote(wm.Column)+" > "+param(v))
	}
	if !w.From.IsZero() || !w.To.IsZero() {
		if s.cfg.TimeColumn == "" {
			return st, errNoTimeColumn
		}
		zoned := s.zoned[strings.ToLower(s.cfg.TimeColumn)]
		if !w.From.IsZero() {
			conds = append(conds, quote(s.cfg.TimeColumn)+" >= "+param(s.bindTime(w.From, zoned, true)))
		}
		if !w.To.IsZero() {
			conds = append(conds, quote(s.cfg.TimeColumn)+" < "+param(s.bindTime(w.To, zoned, true)))
		}
	}
	switch {
	case w.Keys == nil:
	case len(w.Keys) == 0:
		conds = append(conds, "1=0") // an empty list keeps nobody
	case s.cfg.KeyColumn == "" || len(st.args)+len(w.Keys) > d.MaxParams():
		// Too many for one statement (SQL Server: 2100): filter while reading,
		// which keeps one query in watermark order.
		st.keep = make(map[string]struct{}, len(w.Keys))
		for _, k := range w.Keys {
			st.keep[k] = struct{}{}
		}
	default:
		marks := make([]string, len(w.Keys))
		for i, k := range w.Keys {
			marks[i] = param(k)
		}
		conds = append(conds, quote(s.cfg.KeyColumn)+" IN ("+strings.Join(marks, ", ")+")")
	}
	var b strings.Builder
	b.WriteString("SELECT " + s.columns() + " FROM " + s.from())
	if len(conds) > 0 {
		b.WriteString(" WHERE " + strings.Join(conds, " AND "))
	}
	switch {
	case s.cfg.Watermark != nil:
		b.WriteString(" ORDER BY " + quote(s.cfg.Watermark.Column))
	case s.cfg.TimeColumn != "":
		b.WriteString(" ORDER BY " + quote(s.cfg.TimeColumn))
	}
	st.sql = b.String()
	return st, nil
}

// afterValue is the value bound against the watermark column: the stored
// cursor, less the overlap for a time watermark.
func (s *Source) afterValue(after string) (any, error) {
	wm := s.cfg.Watermark
	if wm.Kind == KindID {
		if n, err := strconv.ParseInt(after, 10, 64); err == nil {
			return n, nil
		}
		return after, nil // a text id compares as text
	}
	t, zoned, err := parseCursor(after)
	if err != nil {
		return nil, fmt.Errorf("stored watermark %q of source %s: %w", after, s.cfg.Name, err)
	}
	if wm.Overlap == 0 && s.db.Dialect.Name() == sqldb.SQLite {
		return after, nil // SQLite keeps times as text: compare like with like
	}
	return s.bindTime(t.Add(-wm.Overlap), zoned, false), nil
}

// bindTime is the value to bind for t against a time column. instant says
// whether t is a point in time (the window) or already the column's own
// wall clock (a naive cursor).
func (s *Source) bindTime(t time.Time, zoned, instant bool) any {
	if zoned {
		return t
	}
	if instant {
		t = t.In(s.cfg.Location)
	}
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	switch s.db.Dialect.Name() {
	case sqldb.SQLite:
		return wall.Format(sqldb.TimeLayout)
	case sqldb.SQLServer:
		return mssql.DateTime1(wall) // datetime2, not datetimeoffset
	}
	return wall
}

// Cursor text forms: a wall-clock time, or an instant in RFC 3339.
const naiveCursor = "2006-01-02 15:04:05.999999999"

// parseCursor reads a time cursor; zoned tells an instant from a wall clock.
func parseCursor(c string) (t time.Time, zoned bool, err error) {
	if t, err := time.Parse(time.RFC3339Nano, c); err == nil {
		return t, true, nil
	}
	for _, layout := range []string{naiveCursor, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, c); err == nil {
			return t, false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("not a time (want %s or RFC 3339)", naiveCursor)
}
