package sqlsink

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// This file is SQLite's fast way for batches that arrive all new (new
// punches in time order, the usual import): the INSERT's arguments are
// made by Encode, on the pipeline's prepare goroutine, so the write stage
// (which holds the import's wall time: SQLite works on it) only binds and
// steps; the columns every punch of the batch shares (imported_at, and the
// source when there is one) are bound once per statement as ?1 and ?2
// rather than on every row (binding a text parameter copies it into C
// memory); and the keys stored in the batch's time range are not read
// first. INSERT ... ON CONFLICT DO NOTHING then says by its count whether
// every row was new; when one was not, the transaction is rolled back and
// the batch goes the careful way (read the stored keys, insert the others,
// check the count), as do the batches after it until one is all new.

// errExpectStored: the sink expects stored keys in the batch, which the
// careful INSERT path writes.
var errExpectStored = errors.New("the batch may hold stored keys")

// sqliteArgs are a batch's INSERT arguments, statement by statement.
type sqliteArgs struct {
	// shared are the fields bound once per statement, in the order of
	// their ?1, ?2; the others are bound on every row.
	shared, perRow []string
	// args holds, for each statement of up to batchSize rows, the shared
	// values then each row's; chunks[i] is where statement i's begin.
	args   []any
	chunks []int
	// kind names the full-batch statement (see prepareFullBatch).
	kind string
	// ready: made for the batch now in the Encoded.
	ready bool
}

// sqliteLayout is how the batch is bound: imported_at always once, the
// source once when every punch has the same.
func (s *Sink) sqliteLayout(batch []mapping.Punch) (shared, perRow []string, kind string) {
	kind = kindShared
	if _, one := oneSource(batch); one && s.st.p.has("source") {
		kind = kindSharedSource
	}
	shared, perRow = s.sharedFields(kind)
	return shared, perRow, kind
}

// sharedFields splits the table's fields into those a statement of the
// kind binds once and those it binds on every row.
func (s *Sink) sharedFields(kind string) (shared, perRow []string) {
	for _, f := range s.st.p.fields {
		if f == "imported_at" || f == "source" && kind == kindSharedSource {
			shared = append(shared, f)
		} else {
			perRow = append(perRow, f)
		}
	}
	return shared, perRow
}

// The kinds of SQLite's shared-column statements.
const (
	kindShared       = "shared"        // imported_at once per statement
	kindSharedSource = "shared+source" // imported_at and source once per statement
)

// encodeSQLite makes the INSERT arguments of punches into e.sqlite.
func (s *Sink) encodeSQLite(punches []mapping.Punch, e *Encoded) {
	a := e.sqlite
	if a == nil {
		a = new(sqliteArgs)
		e.sqlite = a
	}
	a.shared, a.perRow, a.kind = s.sqliteLayout(punches)
	clear(a.args) // what a batch written the careful way left
	a.args, a.chunks = a.args[:0], a.chunks[:0]
	var at any = sqldb.SQLiteTime(e.importedAt, s.atClock)
	var lastUnix int64
	var lastTime any
	for start := 0; start < len(punches); start += s.batchSize {
		end := min(start+s.batchSize, len(punches))
		a.chunks = append(a.chunks, len(a.args))
		for _, f := range a.shared {
			if f == "imported_at" {
				a.args = append(a.args, at)
			} else {
				a.args = append(a.args, punches[start].Source)
			}
		}
		for i := start; i < end; i++ {
			p := &punches[i]
			for _, f := range a.perRow {
				switch f {
				case "punch_time":
					// Punches in time order share their second often:
					// the text of the last one is reused.
					if u := p.Time.Unix(); lastTime == nil || u != lastUnix {
						lastUnix, lastTime = u, sqldb.SQLiteTime(p.Time, s.clock)
					}
					a.args = append(a.args, lastTime)
				case "direction":
					a.args = append(a.args, directionValue(p.Direction))
				case "imported_at":
					a.args = append(a.args, at)
				default:
					a.args = append(a.args, punchText(p, f))
				}
			}
		}
	}
	a.chunks = append(a.chunks, len(a.args))
	a.ready = true
}

// directionValue is the bound value of a direction; the known ones as
// constants, which become interfaces without allocating.
func directionValue(d mapping.Direction) any {
	switch d {
	case "", mapping.DirUnknown:
		return string(mapping.DirUnknown)
	case mapping.DirIn:
		return string(mapping.DirIn)
	case mapping.DirOut:
		return string(mapping.DirOut)
	}
	return string(d)
}

// insertShared inserts n rows, skipping stored keys, with the shared
// fields bound once as ?1, ?2 ... and listed first: a bare ? takes the
// number after the largest so far, so the rows' parameters follow.
func (st statements) insertShared(shared, perRow []string, n int) string {
	var b strings.Builder
	cols := make([]string, 0, len(shared)+len(perRow))
	for _, f := range shared {
		cols = append(cols, st.p.col(f))
	}
	for _, f := range perRow {
		cols = append(cols, st.p.col(f))
	}
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", st.p.table, strings.Join(cols, ", "))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range shared {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "?%d", j+1)
		}
		for j := range perRow {
			if j > 0 || len(shared) > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT DO NOTHING")
	return b.String()
}

// sharedBuilder gives the statement builder of a kind for prepareFullBatch.
func (s *Sink) sharedBuilder(kind string) func(int) string {
	shared, perRow := s.sharedFields(kind)
	return func(n int) string { return s.st.insertShared(shared, perRow, n) }
}

// insertWhole is SQLite's bulk loader (see the top of this file).
func (s *Sink) insertWhole(ctx context.Context, e *Encoded, inserted []bool) error {
	a := e.sqlite
	if !s.expectNew.Load() || a == nil || !a.ready {
		return errExpectStored
	}
	build := func(n int) string { return s.st.insertShared(a.shared, a.perRow, n) }
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		for c := 0; c+1 < len(a.chunks); c++ {
			start := c * s.batchSize
			n := min(s.batchSize, len(e.punches)-start)
			stmt, err := s.stmt(ctx, tx, n, a.kind, build)
			if err != nil {
				return err
			}
			r, err := stmt.ExecContext(ctx, a.args[a.chunks[c]:a.chunks[c+1]]...)
			stmt.Close()
			if err != nil {
				return err
			}
			got, err := r.RowsAffected()
			if err != nil {
				return err
			}
			if err := checkCount(got, n, n, "insert", "inserted"); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errMiscounted) {
		s.expectNew.Store(false)
	}
	if err == nil {
		markAll(inserted)
		// The batch waits for its report lines and then for reuse: its
		// arguments would be live heap for the collector to scan till then.
		clear(a.args)
		a.ready = false
	}
	return err
}

// noteAllNew records, after the careful path wrote a SQLite batch,
// whether every punch of it was new: the next batch then goes the fast way.
func (s *Sink) noteAllNew(inserted []bool) {
	if s.db.Dialect.Name() != sqldb.SQLite {
		return
	}
	for _, ok := range inserted {
		if !ok {
			s.expectNew.Store(false)
			return
		}
	}
	s.expectNew.Store(true)
}
