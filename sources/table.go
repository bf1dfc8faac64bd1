package sources

import (
	"context"
	"fmt"
	"io"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// Table is rows under a header read from files or from a database query.
// Every employee directory the config names (hr.employees.file,
// push_users.source) is read through it, so each accepts the same things:
// CSV, TXT, .xlsx, .xls or a query.
type Table struct {
	// Key is the config section, for messages ("push_users.source");
	// PathKey the key of Path ("push_users.source.path", "hr.employees.file").
	Key, PathKey string
	// Source names the rows' origin (mapping.Origin.Source).
	Source string

	// Files: a file or a glob, read in name order, in Format.
	Path   string
	Format FileFormat

	// A query: its column names are the header.
	URL         string
	Credentials sqldb.Credentials
	Query       string
	// Deadline bounds the query's start and each wait for its next row.
	Deadline sqldb.Deadline
}

// Each opens the table's parts in turn, every file of Path or the query's
// result, and hands each to fn with the name its messages use. An error
// of fn ends the walk and is returned as it is.
func (t *Table) Each(ctx context.Context, fn func(where string, r FileReader) error) error {
	if t.URL != "" {
		r, err := t.openQuery(ctx)
		if err != nil {
			return err
		}
		defer r.Close()
		return fn(t.Key+".query", r)
	}
	files, err := Expand(t.Path)
	if err != nil {
		return fmt.Errorf("%s: %w", t.PathKey, err)
	}
	for _, path := range files {
		r, _, err := OpenFile(path, t.Source, t.Format)
		if err != nil {
			return fmt.Errorf("employee source: %w", err)
		}
		err = fn(path, r)
		r.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// openQuery runs the query and streams its rows.
func (t *Table) openQuery(ctx context.Context) (FileReader, error) {
	db, err := sqldb.Open(ctx, t.URL, t.Credentials)
	if err != nil {
		return nil, fmt.Errorf("%s.url: %w", t.Key, err)
	}
	ctx, idle := t.Deadline.StartIdle(ctx, t.Key+".query in "+db.URL)
	rows, err := db.QueryContext(ctx, t.Query)
	idle.Got()
	if err == nil {
		var rr *sqldb.RowReader
		if rr, err = sqldb.NewRowReader(rows); err == nil {
			return &queryRows{db: db, rows: rr, key: t.Key, source: t.Source, ctx: ctx, idle: idle}, nil
		}
	}
	err = sqldb.Timeout(ctx, err)
	idle.Stop()
	db.Close()
	return nil, fmt.Errorf("%s.query in %s: %w", t.Key, db.URL, err)
}

type queryRows struct {
	db          *sqldb.DB
	rows        *sqldb.RowReader
	key, source string
	ctx         context.Context // the query's, ended by idle
	idle        *sqldb.Idle
}

// employeeText: dates as dates, other times as stored.
var employeeText = sqldb.TextFormat{Dates: true}

func (q *queryRows) Next() (mapping.Row, error) {
	q.idle.Wait()
	more := q.rows.Next()
	q.idle.Got()
	if !more {
		if err := q.rows.Err(); err != nil {
			return mapping.Row{}, fmt.Errorf("%s.query in %s, row %d: %w", q.key, q.db.URL, q.rows.N+1, sqldb.Timeout(q.ctx, err))
		}
		return mapping.Row{}, io.EOF
	}
	row := mapping.Row{Origin: mapping.Origin{Source: q.source, File: q.db.URL, Line: q.rows.N}, Header: q.rows.Columns}
	fields, err := q.rows.Texts(employeeText)
	if err != nil {
		row.Err = fmt.Errorf("row %d: %w", q.rows.N, err)
		return row, nil
	}
	row.Fields = fields
	return row, nil
}

func (q *queryRows) Close() error {
	q.rows.Close()
	q.idle.Stop()
	return q.db.Close()
}
