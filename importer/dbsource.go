package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources"
	"github.com/hrsync/hrsync/sources/sqlsrc"
)

// watermarks is where incremental sources keep how far they have read.
type watermarks interface {
	Watermark(ctx context.Context, source string) (string, error)
	SetWatermark(ctx context.Context, source, value string) error
}

// openDatabaseSource opens a database source of the config.
func openDatabaseSource(ctx context.Context, src *config.Source) (*sqlsrc.Source, error) {
	sc, err := sourceConfig(src)
	if err != nil {
		return nil, err
	}
	return sqlsrc.Open(ctx, sc)
}

// Sample is a database source's rows read as import reads them, with
// every column of the table (or the query's), for proposing a mapping.
type Sample struct {
	Where  string // the table or query and the database, redacted
	Header []string
	src    *sqlsrc.Source
	rows   *sqlsrc.Reader
}

// Next returns the next row, or io.EOF.
func (s *Sample) Next() (mapping.Row, error) { return s.rows.Next() }

// Close ends the read and the connection.
func (s *Sample) Close() error {
	s.rows.Close()
	return s.src.Close()
}

// SampleDatabase opens a database source that may have no mapping yet and
// starts reading it whole; the caller stops after the rows it wants.
func SampleDatabase(ctx context.Context, src *config.Source) (*Sample, error) {
	sc := sqlsrc.Config{Name: src.Name, URL: src.URL, Table: src.Table, Query: src.Query, AllColumns: src.Table != "",
		Credentials: sqldb.Credentials{User: src.User, Password: string(src.Password)}, Location: src.Location(),
		StatementTimeout: time.Duration(src.StatementTimeout)}
	s, err := sqlsrc.Open(ctx, sc)
	if err != nil {
		return nil, err
	}
	r, err := s.Read(ctx, sqlsrc.Window{})
	if err != nil {
		s.Close()
		return nil, err
	}
	return &Sample{Where: s.Where(), Header: r.Header(), src: s, rows: r}, nil
}

// sourceConfig turns a database source of the config into sqlsrc's.
func sourceConfig(src *config.Source) (sqlsrc.Config, error) {
	sc := sqlsrc.Config{Name: src.Name, URL: src.URL, Table: src.Table, Query: src.Query,
		Credentials: sqldb.Credentials{User: src.User, Password: string(src.Password)}, Location: src.Location(),
		StatementTimeout: time.Duration(src.StatementTimeout)}
	m := src.Mapping
	if src.Table != "" {
		for _, f := range []*mapping.Field{&m.EmployeeKey, &m.Time, m.Date, directionField(m), m.Device} {
			if f != nil && f.Column.Index > 0 {
				return sc, fmt.Errorf("sources.%s.mapping: column %s is a position; a table source names its columns", src.Name, f.Column)
			}
		}
		sc.Columns = m.ColumnNames()
	}
	sc.KeyColumn = m.EmployeeKey.Column.Name
	if m.Date == nil { // a time of day alone cannot carry a time range
		sc.TimeColumn = m.Time.Column.Name
	}
	if w := src.Watermark; w != nil {
		sc.Watermark = &sqlsrc.Watermark{Column: w.Column, Kind: w.Kind, Overlap: time.Duration(w.Overlap)}
	}
	return sc, nil
}

func directionField(m mapping.Spec) *mapping.Field {
	if m.Direction == nil {
		return nil
	}
	return &m.Direction.Field
}

// readDatabase streams a database source's rows as items, each carrying
// the cursor the run saves once the item's batch is committed.
func readDatabase(ctx context.Context, cfg *config.Config, src *config.Source, m *rowMapper, marks watermarks, w sqlsrc.Window, emit func(item) error) (failures []string, err error) {
	fail := func(err error) ([]string, error) {
		it := item{line: report.Line{Source: src.Name, File: firstNonEmpty(src.Table, "query"), Outcome: mapping.Failed, Reason: err.Error()}}
		return []string{err.Error()}, emit(it)
	}
	s, err := openDatabaseSource(ctx, src)
	if err != nil {
		return fail(err)
	}
	defer s.Close()
	if src.Watermark != nil && marks != nil {
		if w.After, err = marks.Watermark(ctx, src.Name); err != nil {
			return fail(fmt.Errorf("reading the watermark of source %s: %w", src.Name, err))
		}
	}
	r, err := s.Read(ctx, w)
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	m.log.Debug("database read started", "source", src.Name, "from", s.Where(), "after", w.After)
	before := m.rows
	// File is what every row's Origin says (the table, or "query"), so an
	// observer finds the file its rows belong to (map-check's direction table).
	err = readFile(ctx, r, sources.Detection{File: s.File(), Format: "database: " + s.Where(), Columns: r.Header()}, m, emit)
	m.log.Debug("database read finished", "source", src.Name, "rows", m.rows-before)
	var emitErr *emitError
	if err != nil && !errors.As(err, &emitErr) && ctx.Err() == nil {
		return fail(err)
	}
	return nil, err
}
