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

// bulkLoader writes a whole batch by bulk load, marking inserted[i] for
// each row it stored. It returns errBulkUnavailable when the database
// refuses bulk loads for good, errRangeCrowded, errMiscounted or
// errBulkConflict when the INSERT path should write this batch instead.
type bulkLoader func(ctx context.Context, batch []mapping.Punch, inserted []bool, importedAt time.Time) error

// errBulkUnavailable: the database refuses bulk loads (MySQL with
// local_infile off); the sink stops trying.
var errBulkUnavailable = errors.New("bulk load unavailable")

// errBulkConflict: a key the read of stored keys found absent was stored
// before the bulk load wrote it (another writer).
var errBulkConflict = errors.New("a key was stored by another writer during the bulk load")

// chooseBulk picks the bulk loader of the database, nil where there is
// none (SQLite, SQL Server, Oracle).
func (s *Sink) chooseBulk() bulkLoader {
	switch s.db.Dialect.Name() {
	case sqldb.MySQL:
		return s.loadData
	case sqldb.Postgres:
		return s.copyFrom
	}
	return nil
}

// writeBulk tries the bulk loader on the batch. done is false when the
// batch is still to be written by the INSERT path (inserted cleared).
func (s *Sink) writeBulk(ctx context.Context, batch []mapping.Punch, inserted []bool, importedAt time.Time) (done bool, err error) {
	if s.bulk == nil {
		return false, nil
	}
	if s.beforeBulk != nil {
		defer func() { s.beforeBulk = nil }()
	}
	err = s.bulk(ctx, batch, inserted, importedAt)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, errBulkUnavailable):
		s.bulk = nil
	case errors.Is(err, errRangeCrowded), errors.Is(err, errMiscounted), errors.Is(err, errBulkConflict):
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
	crowded, err := markKeys(res, rows, inserted, false, true, crowdedFactor*len(rows))
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

// timeRange is the first and last time of rows.
func timeRange(rows []mapping.Punch) (first, last time.Time) {
	first, last = rows[0].Time, rows[0].Time
	for _, p := range rows {
		first, last = minTime(first, p.Time), maxTime(last, p.Time)
	}
	return first, last
}

// loadData is MySQL's bulk loader: LOAD DATA LOCAL INFILE IGNORE of the
// new rows, sent from memory through the driver's reader handler (no file,
// and no allowAllFiles).
func (s *Sink) loadData(ctx context.Context, batch []mapping.Punch, inserted []bool, importedAt time.Time) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		d := s.db.Dialect
		first, last := timeRange(batch)
		res, err := tx.QueryContext(ctx, s.st.selectKeysBetween(), d.BindTime(first), d.BindTime(last))
		if err != nil {
			return err
		}
		want, err := s.markStored(res, batch, inserted)
		if err != nil || want == 0 {
			return err
		}
		if s.beforeBulk != nil {
			s.beforeBulk()
		}
		s.text = appendTSV(s.text[:0], s.st.p.fields, batch, inserted, importedAt)
		name := fmt.Sprintf("hrsync-%d", loadDataSeq.Add(1))
		data := s.text
		mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(data) })
		defer mysql.DeregisterReaderHandler(name)
		exec := s.execLoadData
		if exec == nil {
			exec = tx.ExecContext
		}
		r, err := exec(ctx, s.st.loadData(name))
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
		if int(got) != want {
			return fmt.Errorf("expected to load %d of %d punches, loaded %d: %w", want, len(batch), got, errMiscounted)
		}
		return nil
	})
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

// appendTSV writes the rows marked in include as LOAD DATA's default text
// format: fields separated by tab, lines ended by newline, backslash
// escapes.
func appendTSV(dst []byte, fields []string, rows []mapping.Punch, include []bool, importedAt time.Time) []byte {
	at := importedAt.UTC().Format(sqldb.TimeLayout)
	for i := range rows {
		if !include[i] {
			continue
		}
		p := &rows[i]
		for j, f := range fields {
			if j > 0 {
				dst = append(dst, '\t')
			}
			switch f {
			case "punch_time":
				dst = p.Time.UTC().AppendFormat(dst, sqldb.TimeLayout)
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

// copyFrom is PostgreSQL's bulk loader: COPY of the new rows through
// pgx, on one connection taken from the pool.
//
// When the last batch held no stored key (new punches arriving in time
// order), the batch is copied whole as one statement, without reading
// stored keys and without BEGIN and COMMIT: COPY stores every row, all
// new then, or fails at a stored key and changes nothing. After such a
// failure, and while batches hold stored keys, it reads the stored keys
// first and copies the others in a transaction.
func (s *Sink) copyFrom(ctx context.Context, batch []mapping.Punch, inserted []bool, importedAt time.Time) error {
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
		if s.expectNew {
			for i := range inserted {
				inserted[i] = true
			}
			err := s.copyRows(ctx, pc, batch, inserted, len(batch), importedAt)
			if !errors.Is(err, errBulkConflict) {
				return err
			}
			s.expectNew = false
		}
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if err := s.copyInTx(ctx, tx, batch, inserted, importedAt); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

func (s *Sink) copyInTx(ctx context.Context, tx pgx.Tx, batch []mapping.Punch, inserted []bool, importedAt time.Time) error {
	first, last := timeRange(batch)
	res, err := tx.Query(ctx, s.st.selectKeysBetween(), first.UTC(), last.UTC())
	if err != nil {
		return err
	}
	want, err := s.markStored(pgxRows{res}, batch, inserted)
	if err != nil {
		return err
	}
	s.expectNew = want == len(batch)
	if want == 0 {
		return nil
	}
	if s.beforeBulk != nil {
		s.beforeBulk()
	}
	return s.copyRows(ctx, tx, batch, inserted, want, importedAt)
}

// copier is what copyRows needs of a pgx connection or transaction.
type copier interface {
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// copyRows copies the rows marked in include, want of them.
func (s *Sink) copyRows(ctx context.Context, c copier, batch []mapping.Punch, include []bool, want int, importedAt time.Time) error {
	at := importedAt.UTC()
	row := make([]any, len(s.st.p.fields))
	next := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for next < len(batch) && !include[next] {
			next++
		}
		if next == len(batch) {
			return nil, nil
		}
		p := &batch[next]
		next++
		for j, f := range s.st.p.fields {
			switch f {
			case "punch_time":
				row[j] = p.Time.UTC()
			case "imported_at":
				row[j] = at
			default:
				row[j] = punchText(p, f)
			}
		}
		return row, nil
	})
	got, err := c.CopyFrom(ctx, copyTable(s.st.p.rawTable), s.st.p.raw, src)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		return fmt.Errorf("%w: %v", errBulkConflict, err)
	}
	if err != nil {
		return err
	}
	if int(got) != want {
		return fmt.Errorf("expected to copy %d of %d punches, copied %d: %w", want, len(batch), got, errMiscounted)
	}
	return nil
}

// copyTable names the table for COPY, schema apart.
func copyTable(raw string) pgx.Identifier {
	return pgx.Identifier(strings.Split(raw, "."))
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
