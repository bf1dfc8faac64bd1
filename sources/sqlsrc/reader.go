package sqlsrc

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// Reader streams the rows of one read.
type Reader struct {
	s      *Source
	ctx    context.Context // the read's, ended by idle
	idle   *sqldb.Idle
	rows   *sqldb.RowReader
	zoned  []bool
	keep   map[string]struct{}
	header []string
	// The cursor is a value v such that every row with watermark <= v has
	// been returned. A row's own value is safe only once the next row is
	// known to differ, so the reader looks one row ahead.
	track   bool
	safe    string
	ahead   *fetched
	started bool
	err     error // from reading ahead; returned after the row before it
}

type fetched struct {
	row mapping.Row
	wm  string
}

// Read starts one read of the window. Starting is retried on transient
// faults; a failure in the middle of the rows is returned by Next (the
// rows before it are good, and the watermark covers only those).
func (s *Source) Read(ctx context.Context, w Window) (*Reader, error) {
	st, err := s.build(w)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.cfg.Name, err)
	}
	// The read's context lives as long as its rows; the limit applies to
	// each wait for the database, so a slow consumer never trips it.
	ctx, idle := s.cfg.deadline().StartIdle(ctx, "reading its rows")
	var rows *sql.Rows
	err = sqldb.Retry(ctx, s.cfg.Attempts, func(ctx context.Context) error {
		var err error
		rows, err = s.db.QueryContext(ctx, st.sql, st.args...)
		return err
	})
	idle.Got()
	if err != nil {
		err = sqldb.Timeout(ctx, err)
		idle.Stop()
		return nil, fmt.Errorf("source %s: %w", s.cfg.Name, s.explain(err))
	}
	rr, err := sqldb.NewRowReader(rows)
	if err != nil {
		idle.Stop()
		return nil, fmt.Errorf("source %s: %w", s.cfg.Name, s.explain(err))
	}
	r := &Reader{s: s, ctx: ctx, idle: idle, rows: rr, keep: st.keep, header: s.header, safe: w.After}
	// A partial read (time range, key list) says nothing about the rows it
	// left out, so it must not move the watermark.
	r.track = s.wmIndex >= 0 && w.Keys == nil && w.From.IsZero() && w.To.IsZero()
	r.zoned = make([]bool, len(s.header))
	for i := range r.zoned {
		r.zoned[i] = s.zoned[strings.ToLower(s.header[i])]
	}
	return r, nil
}

// Header is the column list every row carries.
func (r *Reader) Header() []string { return r.header }

// Next returns the next row, or io.EOF after the last. A NULL becomes ""
// so that the mapping rejects the row with a reason.
func (r *Reader) Next() (mapping.Row, error) {
	if !r.started {
		r.started = true
		r.ahead, r.err = r.fetch()
	}
	cur := r.ahead
	if cur == nil {
		if r.err != nil {
			return mapping.Row{}, r.err
		}
		return mapping.Row{}, io.EOF
	}
	r.ahead, r.err = r.fetch()
	if r.track {
		// Safe to move to this row's value only when the next row (if any)
		// has a different one; never back behind the stored watermark (the
		// overlap re-reads older rows).
		if r.err == nil && (r.ahead == nil || r.ahead.wm != cur.wm) && r.s.later(cur.wm, r.safe) {
			r.safe = cur.wm
		}
		cur.row.Cursor = r.safe
	}
	return cur.row, nil
}

// fetch reads the next row that passes the key filter; nil at the end.
func (r *Reader) fetch() (*fetched, error) {
	for {
		r.idle.Wait()
		more := r.rows.Next()
		r.idle.Got()
		if !more {
			if err := r.rows.Err(); err != nil {
				return nil, fmt.Errorf("source %s: %s, after row %d: %w", r.s.cfg.Name, r.s.where, r.rows.N, sqldb.Timeout(r.ctx, err))
			}
			return nil, nil
		}
		row := mapping.Row{Origin: mapping.Origin{Source: r.s.cfg.Name, File: r.s.File(), Line: r.rows.N}, Header: r.header}
		vals, err := r.rows.Scan()
		if err != nil {
			row.Err = fmt.Errorf("row %d: %w", r.rows.N, err)
			return &fetched{row: row}, nil
		}
		row.Fields = make([]string, len(vals))
		for i, v := range vals {
			row.Fields[i] = r.text(v, r.zoned[i])
		}
		if r.keep != nil && r.s.keyIndex >= 0 {
			if _, ok := r.keep[row.Fields[r.s.keyIndex]]; !ok {
				continue
			}
		}
		f := &fetched{row: row}
		if r.track {
			f.wm = r.cursorText(vals[r.s.wmIndex], r.zoned[r.s.wmIndex])
		}
		return f, nil
	}
}

// Close ends the read.
func (r *Reader) Close() error {
	err := r.rows.Close()
	r.idle.Stop()
	return err
}

// text writes a value as the mapping reads it. Times are wall clock in the
// source's zone: a column without a zone as stored, an instant converted;
// always with the time of day, which the time layout expects. Booleans are
// 1 and 0, as direction codes are.
func (r *Reader) text(v any, zoned bool) string {
	f := sqldb.TextFormat{BoolDigits: true}
	if zoned {
		f.Zone = r.s.cfg.Location
	}
	return sqldb.Text(v, f)
}

// cursorText is a watermark value as stored in the run state: full
// precision, RFC 3339 for an instant.
func (r *Reader) cursorText(v any, zoned bool) string {
	if t, ok := v.(time.Time); ok {
		if zoned {
			return t.UTC().Format(time.RFC3339Nano)
		}
		return t.Format(naiveCursor)
	}
	return r.text(v, false)
}

// later reports whether cursor a is past b ("" is before everything).
func (s *Source) later(a, b string) bool {
	switch {
	case a == "":
		return false
	case b == "":
		return true
	}
	if s.cfg.Watermark.Kind == KindID {
		x, errX := strconv.ParseInt(a, 10, 64)
		y, errY := strconv.ParseInt(b, 10, 64)
		if errX == nil && errY == nil {
			return x > y
		}
		return a > b
	}
	x, _, errX := parseCursor(a)
	y, _, errY := parseCursor(b)
	if errX == nil && errY == nil {
		return x.After(y)
	}
	return a > b
}
