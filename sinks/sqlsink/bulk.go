package sqlsink

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
)

// This file holds the bulk paths of the server databases: the whole batch
// in one transaction, one read of the keys stored in its time range, then
// the new rows in one bulk load (MySQL's LOAD DATA LOCAL INFILE from
// memory, PostgreSQL's COPY) instead of INSERTs of a few thousand bind
// parameters each. Parsing and binding those parameters was most of the
// time the INSERT path took (1M punches: MariaDB 3.9x its own LOAD DATA,
// PostgreSQL 7.6x \copy).
//
// A bulk load cannot say which rows were new, so it writes only the rows
// the read found absent and checks the count (MySQL: LOAD DATA ... IGNORE
// skips a key another writer stored meanwhile, and the count tells) or
// fails whole (COPY stops at a unique violation). Either way the batch
// then runs again by the INSERT path, which is exact whatever happens.
// PostgreSQL skips the read while batches arrive all new (see copyFrom).

// bulkLoader writes a whole encoded batch by bulk load, marking
// inserted[i] for each row it stored. It returns errBulkUnavailable when
// the database refuses bulk loads for good, errRangeCrowded, errMiscounted
// or errBulkConflict when the INSERT path should write this batch instead.
type bulkLoader func(ctx context.Context, e *Encoded, inserted []bool) error

// errBulkUnavailable: the database refuses bulk loads (MySQL with
// local_infile off); the sink stops trying.
var errBulkUnavailable = errors.New("bulk load unavailable")

// errBulkConflict: a key the read of stored keys found absent was stored
// before the bulk load wrote it (another writer).
var errBulkConflict = errors.New("a key was stored by another writer during the bulk load")

// Encoded is a batch of punches made ready for the database ahead of its
// write (see Encode), so that a caller can encode the next batch on one
// core while the database loads this one on the other.
type Encoded struct {
	punches    []mapping.Punch
	importedAt time.Time
	layout     bulkLayout
	// whole: text holds every punch for the bulk load. Encode leaves it
	// out while batches hold stored keys: only the new rows are loaded
	// then, and a re-import would encode every batch for nothing.
	whole bool
	text  []byte
	// sqlite is SQLite's INSERT arguments, made while the sink expects
	// the batch all new (see sqlite.go).
	sqlite *sqliteArgs
}

// Punches is the batch e was made of (sinks.Encoded).
func (e *Encoded) Punches() []mapping.Punch { return e.punches }

// Encode makes punches ready for WriteEncoded, reusing reuse's buffers
// when it is an earlier result of a Sink (sinks.BatchEncoder). It reads
// only what Open set and one atomic flag, so it may run on another
// goroutine while the sink writes an earlier batch, but not on an
// encoding that is being written.
func (s *Sink) Encode(punches []mapping.Punch, reuse sinks.Encoded) sinks.Encoded {
	e, _ := reuse.(*Encoded)
	if e == nil {
		e = new(Encoded)
	}
	s.encodeInto(punches, e)
	return e
}

func (s *Sink) encodeInto(punches []mapping.Punch, e *Encoded) {
	e.punches = punches
	e.importedAt = s.now().UTC().Truncate(time.Second)
	e.text, e.whole = e.text[:0], false
	if e.sqlite != nil {
		e.sqlite.ready = false
	}
	if s.db.Dialect.Name() == sqldb.SQLite && s.expectNew.Load() {
		s.encodeSQLite(punches, e)
	}
	if l, ok := s.bulkLayout(punches); ok {
		e.layout = l
		if s.expectNew.Load() {
			e.text, e.whole = appendRows(e.text, l, punches, nil, e.importedAt), true
		}
	}
}

// loadWhole loads e whole with load, without reading stored keys, while
// batches arrive new, and marks every punch inserted. done is false when
// the sink expects stored keys, or when load failed with short, having
// changed nothing: the batch held a stored key, and it goes the careful
// way, as do the batches after it until one is all new.
func (s *Sink) loadWhole(e *Encoded, inserted []bool, short error, load func(text []byte) error) (done bool, err error) {
	if !s.expectNew.Load() {
		return false, nil
	}
	err = load(s.rowsText(e, nil, len(e.punches)))
	switch {
	case err == nil:
		markAll(inserted)
		return true, nil
	case errors.Is(err, short):
		s.expectNew.Store(false)
		return false, nil
	}
	return false, err
}

// bulkLayout is how a batch is written for the bulk load.
type bulkLayout struct {
	// binary: PostgreSQL's binary COPY format (see pgbinary.go) instead
	// of text.
	binary bool
	// fields are written on every line, in this order.
	fields []string
	// source, when set, is the one source of every punch of the batch,
	// which LOAD DATA sets once per statement (as it does imported_at)
	// instead of parsing it on every line.
	source *string
	// clock and atClock are how punch_time and imported_at keep times
	// (a wall clock in the HR zone, or instants).
	clock, atClock sqldb.Clock
	// zone follows every time of a zone-aware column: COPY reads a time
	// without one in the session's zone when the column has one
	// (timestamptz). A naive column gets its wall clock alone.
	zone string
}

// bulkLayout is the layout of the batch for the bulk load; false where
// the database has none.
func (s *Sink) bulkLayout(batch []mapping.Punch) (bulkLayout, bool) {
	switch s.db.Dialect.Name() {
	case sqldb.Postgres:
		return bulkLayout{fields: s.st.p.fields, zone: "+00", binary: s.copyBinary, clock: s.clock, atClock: s.atClock}, true
	case sqldb.MySQL:
		l := bulkLayout{clock: s.clock, atClock: s.atClock}
		if src, ok := oneSource(batch); ok && plainLiteral(src) {
			l.source = &src
		}
		for _, f := range s.st.p.fields {
			if f == "imported_at" || f == "source" && l.source != nil {
				continue
			}
			l.fields = append(l.fields, f)
		}
		return l, true
	}
	return bulkLayout{}, false
}

// oneSource is the source every punch of batch shares.
func oneSource(batch []mapping.Punch) (string, bool) {
	if len(batch) == 0 {
		return "", false
	}
	src := batch[0].Source
	for i := range batch {
		if batch[i].Source != src {
			return "", false
		}
	}
	return src, true
}

// plainLiteral reports whether s can go between single quotes in any
// sql_mode: no quote, no backslash, nothing but letters, digits and
// _ - . : and space. Other source names go on every line instead.
func plainLiteral(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_-.: ", c) >= 0) {
			return false
		}
	}
	return true
}

// chooseBulk picks the bulk loader of the database, nil where there is
// none (SQL Server, Oracle). SQLite's is an INSERT of the batch whole,
// without reading stored keys (sqlite.go).
func (s *Sink) chooseBulk() bulkLoader {
	switch s.db.Dialect.Name() {
	case sqldb.SQLite:
		return s.insertWhole
	case sqldb.MySQL:
		return s.loadData
	case sqldb.Postgres:
		return s.copyFrom
	}
	return nil
}

// writeBulk tries the bulk loader on the batch. done is false when the
// batch is still to be written by the INSERT path (inserted cleared).
func (s *Sink) writeBulk(ctx context.Context, e *Encoded, inserted []bool) (done bool, err error) {
	if s.bulk == nil {
		return false, nil
	}
	if s.beforeBulk != nil {
		defer func() { s.beforeBulk = nil }()
	}
	err = s.bulk(ctx, e, inserted)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errBulkUnavailable):
		s.bulk = nil
	case errors.Is(err, errRangeCrowded), errors.Is(err, errMiscounted), errors.Is(err, errBulkConflict), errors.Is(err, errExpectStored):
	default:
		return false, err
	}
	clear(inserted)
	return false, nil
}

// markStored reads the keys stored in the time range of rows, marks the
// others as new in inserted and says how many those are. It returns
// errRangeCrowded when the range holds more than crowdedFactor stored rows
// per row.
func (s *Sink) markStored(res rowScanner, rows []mapping.Punch, inserted []bool) (int, error) {
	for i := range inserted {
		inserted[i] = true
	}
	crowded, err := s.markKeys(res, rows, inserted, false, true, crowdedFactor*len(rows))
	if err != nil {
		return 0, err
	}
	if crowded {
		return 0, errRangeCrowded
	}
	n := 0
	for _, ok := range inserted {
		if ok {
			n++
		}
	}
	return n, nil
}

// loadData is MySQL's bulk loader: LOAD DATA LOCAL INFILE IGNORE, sent
// from memory through the driver's reader handler (no file, and no
// allowAllFiles).
//
// When the last batch held no stored key (new punches arriving in time
// order), the batch is loaded whole without reading stored keys: if the
// server stored every row, all were new. If it skipped some, the load is
// rolled back, and the batch goes the careful way: read the keys stored in
// its time range, then load the others and check the count.
func (s *Sink) loadData(ctx context.Context, e *Encoded, inserted []bool) error {
	n := len(e.punches)
	done, err := s.loadWhole(e, inserted, errMiscounted, func(text []byte) error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error { return s.execLoad(ctx, tx, e, text, n) })
	})
	if done || err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		d := s.db.Dialect
		first, last := mapping.TimeSpan(e.punches)
		res, err := tx.QueryContext(ctx, s.st.selectKeysBetween(), d.BindTime(first, s.clock), d.BindTime(last, s.clock))
		if err != nil {
			return err
		}
		want, err := s.markStored(res, e.punches, inserted)
		if err != nil {
			return err
		}
		s.expectNew.Store(want == n)
		if want == 0 {
			return nil
		}
		if s.beforeBulk != nil {
			s.beforeBulk()
		}
		return s.execLoad(ctx, tx, e, s.rowsText(e, inserted, want), want)
	})
}

// rowsText is the bulk-load text of the rows marked in include (every row
// when include is nil), want of them: the text Encode made when it holds
// them all, else made now.
func (s *Sink) rowsText(e *Encoded, include []bool, want int) []byte {
	if e.whole && want == len(e.punches) {
		return e.text
	}
	s.text = appendRows(s.text[:0], e.layout, e.punches, include, e.importedAt)
	return s.text
}

// execLoad runs LOAD DATA of text on tx and checks that it stored want rows.
func (s *Sink) execLoad(ctx context.Context, tx *sqlx.Tx, e *Encoded, text []byte, want int) error {
	name := fmt.Sprintf("hrsync-%d", loadDataSeq.Add(1))
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(text) })
	defer mysql.DeregisterReaderHandler(name)
	exec := s.execLoadData
	if exec == nil {
		exec = tx.ExecContext
	}
	r, err := exec(ctx, s.st.loadData(name, e.layout, e.importedAt))
	if localInfileRefused(err) {
		return fmt.Errorf("%w: %v", errBulkUnavailable, err)
	}
	if err != nil {
		return err
	}
	got, err := r.RowsAffected()
	if err != nil {
		return err
	}
	return checkCount(got, want, len(e.punches), "load", "loaded")
}

func markAll(inserted []bool) {
	for i := range inserted {
		inserted[i] = true
	}
}

// loadDataSeq names reader handlers, which the driver keeps in one
// registry for the whole process.
var loadDataSeq atomic.Uint64

// localInfileRefused reports whether err says the server (or the client)
// does not allow LOAD DATA LOCAL INFILE.
func localInfileRefused(err error) bool {
	var my *mysql.MySQLError
	if !errors.As(err, &my) {
		return false
	}
	switch my.Number {
	case 1148, // ER_NOT_ALLOWED_COMMAND (MariaDB, MySQL 5.7)
		3948, // ER_CLIENT_LOCAL_FILES_DISABLED (MySQL 8)
		2068, // CR_LOAD_DATA_LOCAL_INFILE_REJECTED
		4166: // ER_LOAD_INFILE_CAPABILITY_DISABLED (MariaDB 10.5+)
		return true
	}
	return false
}

// appendRows writes the rows marked in include (every row when include is
// nil) in layout l.
func appendRows(dst []byte, l bulkLayout, rows []mapping.Punch, include []bool, importedAt time.Time) []byte {
	if l.binary {
		return appendBinary(dst, l, rows, include, importedAt)
	}
	return appendText(dst, l, rows, include, importedAt)
}

// appendText writes the rows marked in include (every row when include
// is nil) as bulk-load text in layout l: LOAD DATA's default format, which
// is also COPY's text format: fields separated by tab, lines ended by
// newline, backslash escapes.
func appendText(dst []byte, l bulkLayout, rows []mapping.Punch, include []bool, importedAt time.Time) []byte {
	at := l.atClock.Wall(importedAt).Format(sqldb.TimeLayout)
	if !l.atClock.Naive() {
		at += l.zone
	}
	punchZone := l.zone
	if l.clock.Naive() {
		punchZone = ""
	}
	for i := range rows {
		if include != nil && !include[i] {
			continue
		}
		p := &rows[i]
		for j, f := range l.fields {
			if j > 0 {
				dst = append(dst, '\t')
			}
			switch f {
			case "punch_time":
				dst = l.clock.Wall(p.Time).AppendFormat(dst, sqldb.TimeLayout)
				dst = append(dst, punchZone...)
			case "imported_at":
				dst = append(dst, at...)
			default:
				dst = appendEscaped(dst, punchText(p, f))
			}
		}
		dst = append(dst, '\n')
	}
	return dst
}

// punchText is the text of a punch's field other than the times.
func punchText(p *mapping.Punch, field string) string {
	switch field {
	case "employee_id":
		return p.EmployeeID
	case "direction":
		if p.Direction == "" {
			return string(mapping.DirUnknown)
		}
		return string(p.Direction)
	case "device_id":
		return p.DeviceID
	case "source":
		return p.Source
	case "source_key":
		return p.SourceKey
	}
	return ""
}

// appendEscaped escapes what LOAD DATA would read as a separator, an
// escape or NULL (\N is backslash then N, so escaping the backslash is
// enough for it).
func appendEscaped(dst []byte, s string) []byte {
	if !needsEscape(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\\':
			dst = append(dst, '\\', '\\')
		case 0:
			dst = append(dst, '\\', '0')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// needsEscape reports whether s has a control character or a backslash;
// faster than strings.ContainsAny on the short ids of punches.
func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == '\\' {
			return true
		}
	}
	return false
}

// copyFrom is PostgreSQL's bulk loader: COPY of the batch's text on one
// connection taken from the pool.
//
// When the last batch held no stored key (new punches arriving in time
// order), the batch is copied whole as one statement, without reading
// stored keys and without BEGIN and COMMIT: COPY stores every row, all
// new then, or fails at a stored key and changes nothing. After such a
// failure, and while batches hold stored keys, it reads the stored keys
// first and copies the others in a transaction.
func (s *Sink) copyFrom(ctx context.Context, e *Encoded, inserted []bool) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("%w: driver connection is %T", errBulkUnavailable, driverConn)
		}
		pc := sc.Conn()
		done, err := s.loadWhole(e, inserted, errBulkConflict, func(text []byte) error {
			return s.copyText(ctx, pc.PgConn(), e, text, len(e.punches))
		})
		if done || err != nil {
			return err
		}
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if err := s.copyInTx(ctx, tx, e, inserted); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

func (s *Sink) copyInTx(ctx context.Context, tx pgx.Tx, e *Encoded, inserted []bool) error {
	first, last := mapping.TimeSpan(e.punches)
	res, err := tx.Query(ctx, s.st.selectKeysBetween(), s.clock.Wall(first), s.clock.Wall(last))
	if err != nil {
		return err
	}
	want, err := s.markStored(pgxRows{res}, e.punches, inserted)
	if err != nil {
		return err
	}
	s.expectNew.Store(want == len(e.punches))
	if want == 0 {
		return nil
	}
	if s.beforeBulk != nil {
		s.beforeBulk()
	}
	return s.copyText(ctx, tx.Conn().PgConn(), e, s.rowsText(e, inserted, want), want)
}

// copyText runs COPY of text and checks that it stored want rows.
func (s *Sink) copyText(ctx context.Context, c *pgconn.PgConn, e *Encoded, text []byte, want int) error {
	tag, err := c.CopyFrom(ctx, bytes.NewReader(text), s.st.copyFrom(e.layout.binary))
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return fmt.Errorf("%w: %v", errBulkConflict, err)
	}
	if err != nil {
		return err
	}
	return checkCount(tag.RowsAffected(), want, len(e.punches), "copy", "copied")
}

// pgxRows gives pgx.Rows the Close that markKeys wants.
type pgxRows struct{ pgx.Rows }

func (r pgxRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}

// execFunc runs a statement; tests replace LOAD DATA's to simulate a
// server that refuses it.
type execFunc func(ctx context.Context, query string, args ...any) (sql.Result, error)
