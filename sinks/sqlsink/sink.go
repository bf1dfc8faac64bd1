// Package sqlsink writes punches into the HR system's SQL database and
// reads the employee directory from it. Writes are idempotent: a punch
// whose key (time, employee, device) is already stored is reported as a
// duplicate and left alone.
package sqlsink

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
)

// Sink is an open HR database.
type Sink struct {
	db        *sqldb.DB
	st        statements
	emp       employeeColumns
	create    bool
	batchSize int
	plan      writePlan
	deadline  sqldb.Deadline // each operation's limit (hr.statement_timeout)
	// clock and atClock are how punch_time and imported_at keep times:
	// a wall clock in the configured zone, or instants (see sqldb.Clock).
	clock, atClock sqldb.Clock
	// now stamps imported_at; tests replace it.
	now func() time.Time
	// prepared holds the statements for a full batch, by kind, prepared
	// on first use.
	prepared map[string]*sqlx.Stmt
	buf      []any

	// bulk writes whole batches by bulk load (MySQL, PostgreSQL); nil
	// where there is none or the database refused it.
	bulk bulkLoader
	// copyBinary: PostgreSQL copies in the binary format, which the
	// punch table's column types allow.
	copyBinary bool
	// encoded is WritePunches' batch; text the bulk load's text of the
	// new rows of a batch that holds stored keys. Both are reused.
	encoded Encoded
	text    []byte
	// expectNew: the last batch held no stored key; the next one is
	// encoded whole ahead (by Encode, on another goroutine) and loaded
	// whole without reading stored keys first.
	expectNew atomic.Bool
	// ident is the punch identity of the table's unique key (Identity).
	ident mapping.Identity
	// keys and exact are markKeys' list and map, reused.
	keys  []mapping.Key
	exact map[mapping.Key]int
	// isTwin: the sink shares the database of the sink it came from (see Twin).
	isTwin bool
	// Tests set these: beforeBulk runs between the read of stored keys and
	// the bulk load of the next batch; execLoadData replaces the run of
	// LOAD DATA.
	beforeBulk   func()
	execLoadData execFunc
}

// retryAttempts is how many times a transaction that failed for a
// transient reason (deadlock, lost connection) is run.
const retryAttempts = 4

// defaultBatchSize is rows per INSERT when the configuration says none;
// figures from FINDINGS.md (SQLite: 100 to 1,000 hardly differ).
func defaultBatchSize(dialect string) int {
	switch dialect {
	case sqldb.Postgres:
		return 1000
	case sqldb.Oracle:
		return 100 // UNION ALL from dual: big statements parse slowly
	default:
		return 500
	}
}

// CheckBatchSize is the rule for hr.batch_size, which config checks with:
// 0 (the dialect's default) or more.
func CheckBatchSize(n int) error {
	if n < 0 {
		return fmt.Errorf("batch_size: %d is negative", n)
	}
	return nil
}

// batchSize is rows per statement: the configured number or the
// dialect's default, lowered to fit the database's bind parameter limit.
func batchSize(d sqldb.Dialect, configured, columns int) (int, error) {
	if err := CheckBatchSize(configured); err != nil {
		return 0, err
	}
	n := configured
	if n == 0 {
		n = defaultBatchSize(d.Name())
	}
	return min(n, d.MaxParams()/columns), nil
}

// Open connects to the HR database, checks the punch table and its
// columns, and creates the tables when they are missing and cfg.Create
// allows (the default for SQLite).
func Open(ctx context.Context, cfg Config) (*Sink, error) {
	db, err := sqldb.Open(ctx, cfg.URL, cfg.Credentials)
	if err != nil {
		return nil, err
	}
	// The checks and creation at open wait on the server too (a table
	// another session holds locked).
	octx, cancel := cfg.deadline().Start(ctx, "checking the HR tables in "+db.URL)
	s, err := newSink(octx, db, cfg)
	err = sqldb.Timeout(octx, err)
	cancel()
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func newSink(ctx context.Context, db *sqldb.DB, cfg Config) (*Sink, error) {
	p, err := resolvePunches(db.Dialect, cfg.Punches)
	if err != nil {
		return nil, err
	}
	emp, err := resolveEmployees(db.Dialect, cfg.Employees)
	if err != nil {
		return nil, err
	}
	st := statements{d: db.Dialect, p: p, employeeIndex: cfg.Punches.EmployeeIndex != nil && *cfg.Punches.EmployeeIndex}
	s := &Sink{db: db, st: st, emp: emp, now: time.Now, deadline: cfg.deadline()}
	s.clock, s.atClock = sqldb.NaiveIn(cfg.Zone), sqldb.NaiveIn(cfg.Zone)
	s.create = db.Dialect.Name() == sqldb.SQLite
	if cfg.Create != nil {
		s.create = *cfg.Create
	}
	if s.batchSize, err = batchSize(db.Dialect, cfg.BatchSize, len(p.fields)); err != nil {
		return nil, err
	}
	s.st.key = keyFields
	if !cfg.EmployeesOnly {
		create, err := createWithDirection(db.Dialect, p, cfg.Punches.DirectionInKey)
		if err != nil {
			return nil, err
		}
		s.st.key = keyOf(create)
		if err := s.ensurePunchTable(ctx); err != nil {
			return nil, err
		}
		if err := s.readIdentity(ctx, cfg.Punches.DirectionInKey); err != nil {
			return nil, err
		}
		types, err := s.punchColumnTypes(ctx)
		if err != nil {
			return nil, s.explainPunches(err)
		}
		s.clock = s.clockOf(types["punch_time"], cfg.Zone)
		s.atClock = s.clockOf(types["imported_at"], cfg.Zone)
		if db.Dialect.Name() == sqldb.Postgres {
			s.copyBinary = copyBinaryFits(s.st.p.fields, types)
		}
	}
	// The plan's statements name the key, known from here on.
	if s.plan, err = s.choosePlan(ctx); err != nil {
		return nil, err
	}
	s.bulk = s.chooseBulk()
	if s.create && emp.query == "" {
		if err := s.ensureEmployeeTable(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close closes the database (a twin leaves it to the sink it came from).
func (s *Sink) Close() error {
	for _, st := range s.prepared {
		st.Close()
	}
	if s.isTwin {
		return nil
	}
	return s.db.Close()
}

// Twin returns a second writer to the same punch table, for a caller that
// keeps two batches in flight: it writes through its own connection from
// the same pool, so the server works on two loads at once (1M punches from
// CSV, one writer against two, run alternately: MariaDB 2.8–3.2 s → 2.3–2.5
// s, PostgreSQL 2.0–2.4 s → 1.9–2.1 s; a third writer gained nothing on two
// cores). The caller must not give the two batches that can hold the same
// key at once, or which of the two is stored would depend on timing.
//
// Twin is nil where a second writer does not pay or is untested: SQLite has
// one writer at a time, and SQL Server and Oracle cannot be measured here.
// It is nil with an error when the database will not give a second
// connection (a user limited to one, a server at its limit): the caller
// then writes with s alone. Close it before s (sinks.Twinner).
func (s *Sink) Twin(ctx context.Context) (sinks.PunchSink, error) {
	t, err := s.twin(ctx)
	if t == nil {
		return nil, err // an untyped nil: a nil *Sink would not be
	}
	return t, err
}

func (s *Sink) twin(ctx context.Context) (*Sink, error) {
	switch s.db.Dialect.Name() {
	case sqldb.MySQL, sqldb.Postgres:
	default:
		return nil, nil
	}
	// Hold two connections at once: the pool would otherwise hand back
	// the one connection it already has.
	first, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer first.Close()
	second, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("a second connection to %s: %w", s.db.URL, err)
	}
	second.Close()
	t := &Sink{db: s.db, st: s.st, emp: s.emp, batchSize: s.batchSize, plan: s.plan, ident: s.ident, deadline: s.deadline,
		clock: s.clock, atClock: s.atClock, copyBinary: s.copyBinary, now: s.now, isTwin: true}
	if s.bulk != nil {
		t.bulk = t.chooseBulk() // bound to t: its buffers are its own
	}
	t.expectNew.Store(s.expectNew.Load())
	return t, nil
}

// DB gives the open database, for callers that share it (tests, tools).
func (s *Sink) DB() *sqldb.DB { return s.db }

// BatchSize is the number of rows one INSERT carries.
func (s *Sink) BatchSize() int { return s.batchSize }

func (s *Sink) ensurePunchTable(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, s.st.probe())
	if err == nil {
		return s.ensureEmployeeIndex(ctx)
	}
	if sqldb.Classify(err) != sqldb.MissingTable || !s.create {
		return s.explainPunches(err)
	}
	stmts, err := s.st.createPunches()
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("create table %s in %s: %w", s.st.p.rawTable, s.db.URL, err)
			}
		}
		return nil
	})
	if err != nil {
		// Two first runs at once (two configs, one HR table) race to
		// create it: the loser finds the winner's table, which is fine.
		if _, probeErr := s.db.ExecContext(ctx, s.st.probe()); probeErr == nil {
			return nil
		}
	}
	return err
}

// ensureEmployeeIndex adds the (employee_id, punch_time) index to a table
// that is already there when hr.punches.employee_index asks for it: the
// option for a table hrsync did not create whose keys do not serve
// resync's read of a slice of employees and days (a table hrsync creates
// has the time-first unique key, which does).
func (s *Sink) ensureEmployeeIndex(ctx context.Context) error {
	if !s.st.employeeIndex {
		return nil
	}
	exists := func() (bool, error) {
		q, args := s.st.employeeIndexExists()
		var n int
		err := s.db.QueryRowContext(ctx, q, args...).Scan(&n)
		return n > 0, err
	}
	if ok, err := exists(); err != nil || ok {
		if err != nil {
			return fmt.Errorf("looking for the employee index of %s: %w", s.st.p.rawTable, s.explainPunches(err))
		}
		return nil
	}
	_, empIndex, on, err := s.st.indexNames()
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.st.employeeIndexSQL(empIndex, on)); err != nil {
		if ok, _ := exists(); ok {
			return nil // another run made it meanwhile
		}
		return fmt.Errorf("create index %s on %s (hr.punches.employee_index): %w", empIndex, s.st.p.rawTable, err)
	}
	return nil
}

// punchColumnTypes gives the database's type name of each punch field's
// column (database/sql's DatabaseTypeName).
func (s *Sink) punchColumnTypes(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE 1 = 0", s.st.columnList(), s.st.p.table))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	byField := make(map[string]string, len(types))
	for i, f := range s.st.p.fields {
		byField[f] = types[i].DatabaseTypeName()
	}
	return byField, rows.Err()
}

// clockOf is how a time column of the type keeps times: instants when the
// type has a zone, else the wall clock of zone (UTC when nil).
func (s *Sink) clockOf(typeName string, zone *time.Location) sqldb.Clock {
	if s.db.Dialect.ZoneAware(typeName) {
		return sqldb.Instant
	}
	return sqldb.NaiveIn(zone)
}

// Zone is where the punch table's time column keeps its wall clock; nil
// when the column holds instants.
func (s *Sink) Zone() *time.Location { return s.clock.Zone }

func (s *Sink) ensureEmployeeTable(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, "SELECT * FROM "+s.emp.table+" WHERE 1 = 0")
	if err == nil {
		return nil
	}
	if sqldb.Classify(err) != sqldb.MissingTable {
		return s.db.Explain(err, s.emp.rawTable)
	}
	q, err := createEmployees(s.db.Dialect, s.emp.table, s.emp)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, q); err != nil {
		if _, probeErr := s.db.ExecContext(ctx, "SELECT * FROM "+s.emp.table+" WHERE 1 = 0"); probeErr == nil {
			return nil // another first run created it meanwhile (see ensurePunchTable)
		}
		return fmt.Errorf("create table %s in %s: %w", s.emp.rawTable, s.db.URL, err)
	}
	return nil
}

func (s *Sink) explainPunches(err error) error {
	return s.db.Explain(err, s.st.p.rawTable, s.st.p.raw...)
}

func (s *Sink) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// writePlan is how one database writes punches and learns which were new,
// by INSERT. (MySQL and PostgreSQL write by bulk load first; see bulk.go.)
//
// The usual way reads the keys stored in the chunk's time range, inserts
// skipping stored keys, and checks the inserted count against what the
// read predicted. Input arrives sorted by time, so for new punches the
// range holds only the few rows that share the chunk's first second, and
// the time-first unique index serves the read as one short range scan.
// That is cheaper than RETURNING (measured on SQLite: about a quarter of
// the CPU of a fresh import).
type writePlan struct {
	// insert inserts, skipping stored keys, without saying which.
	// nil: the database has no such statement that counts (SQL Server
	// uses returning only).
	insert func(n int) string
	// returning inserts, skipping stored keys, and yields the keys it
	// inserted; nil where the database cannot (MySQL, Oracle). Used when
	// the count disagrees (a concurrent writer, a key repeated within
	// the batch) and when the time range holds too many other rows.
	returning func(n int) string
}

var mariaDBVersion = regexp.MustCompile(`^(\d+)\.(\d+).*MariaDB`)

// choosePlan picks the statements for the database.
func (s *Sink) choosePlan(ctx context.Context) (writePlan, error) {
	st := s.st
	switch s.db.Dialect.Name() {
	case sqldb.MySQL:
		var version string
		if err := s.db.GetContext(ctx, &version, "SELECT VERSION()"); err != nil {
			return writePlan{}, fmt.Errorf("%s: read server version: %w", s.db.URL, err)
		}
		plan := writePlan{insert: st.insertIgnore}
		if m := mariaDBVersion.FindStringSubmatch(version); m != nil {
			major, _ := strconv.Atoi(m[1])
			minor, _ := strconv.Atoi(m[2])
			if major > 10 || major == 10 && minor >= 5 { // INSERT ... RETURNING since 10.5
				plan.returning = st.insertReturning
			}
		}
		return plan, nil
	case sqldb.SQLServer:
		return writePlan{returning: st.mergeOutput}, nil
	case sqldb.Oracle:
		return writePlan{insert: st.mergeOracle}, nil
	default:
		return writePlan{insert: st.insertSkipping, returning: st.insertReturning}, nil
	}
}

// errMiscounted: the insert did not insert the rows the read of stored
// keys predicted.
var errMiscounted = errors.New("the insert skipped other rows than the read of stored keys predicted")

// errRangeCrowded: the chunk's time range holds many more stored rows
// than the chunk (unsorted input, or many other devices): RETURNING is
// cheaper there.
var errRangeCrowded = errors.New("time range crowded")

// crowdedFactor times the chunk size is how many stored rows in a chunk's
// time range make RETURNING the cheaper way.
const crowdedFactor = 4

// The outcomes a Sink reports: stored by this write, or there before it.
var (
	storedNow     = sinks.Outcome{Code: mapping.Imported}
	alreadyStored = sinks.Outcome{Code: mapping.Duplicate, Reason: "already in the HR database"}
)

// WritePunches stores the punches in one transaction (sinks.PunchSink). A
// transaction that fails for a transient reason is run again, whole. A Sink
// is not safe for concurrent use, except for Encode.
func (s *Sink) WritePunches(ctx context.Context, batch []mapping.Punch, out []sinks.Outcome) error {
	s.encodeInto(batch, &s.encoded)
	return s.writeOutcomes(ctx, &s.encoded, out)
}

// WriteEncoded is WritePunches of a batch made ready by Encode, by s or by
// the sink s is a twin of (sinks.BatchEncoder).
func (s *Sink) WriteEncoded(ctx context.Context, e sinks.Encoded, out []sinks.Outcome) error {
	enc, ok := e.(*Encoded)
	if !ok {
		return fmt.Errorf("sqlsink: a batch encoded by %T, not by a sqlsink.Sink", e)
	}
	return s.writeOutcomes(ctx, enc, out)
}

func (s *Sink) writeOutcomes(ctx context.Context, e *Encoded, out []sinks.Outcome) error {
	if len(out) != len(e.punches) {
		return fmt.Errorf("sqlsink: %d outcomes for %d punches", len(out), len(e.punches))
	}
	// A batch that outlives its deadline is rolled back with its context
	// (database/sql ends the transaction), so a re-run finds it unwritten.
	tctx, cancel := s.deadline.Start(ctx, fmt.Sprintf("writing a batch of %d punches to %s", len(e.punches), s.st.p.rawTable))
	stored, err := s.writeEncoded(tctx, e)
	err = sqldb.Timeout(tctx, err)
	cancel()
	if te := (*sqldb.TimeoutError)(nil); errors.As(err, &te) {
		return fmt.Errorf("%w; the batch was rolled back, and a re-run writes it", err)
	}
	if err != nil {
		return err
	}
	for i, ok := range stored {
		if ok {
			out[i] = storedNow
		} else {
			out[i] = alreadyStored
		}
	}
	return nil
}

// writeEncoded writes e and reports, for each punch, whether it was
// inserted (false: its key was already stored).
func (s *Sink) writeEncoded(ctx context.Context, e *Encoded) ([]bool, error) {
	batch, importedAt := e.punches, e.importedAt
	inserted := make([]bool, len(batch))
	if len(batch) == 0 {
		return inserted, nil
	}
	for i := range batch {
		if batch[i].EmployeeID == "" {
			return nil, fmt.Errorf("punch %d of the batch (%s line %d): no employee id", i+1, batch[i].Origin.File, batch[i].Origin.Line)
		}
		if batch[i].Time.IsZero() {
			return nil, fmt.Errorf("punch %d of the batch (%s line %d): no time", i+1, batch[i].Origin.File, batch[i].Origin.Line)
		}
	}
	if err := s.prepareFullBatch(ctx, len(batch)); err != nil {
		return nil, fmt.Errorf("write %d punches: %w", len(batch), s.explainPunches(err))
	}
	counted := s.plan.insert != nil
	bulk := true
	err := sqldb.Retry(ctx, retryAttempts, func(ctx context.Context) error {
		clear(inserted)
		if bulk {
			done, err := s.writeBulk(ctx, e, inserted)
			if done || err != nil {
				return err
			}
			bulk = false // this batch goes by INSERT, also when run again
		}
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			for start := 0; start < len(batch); start += s.batchSize {
				end := min(start+s.batchSize, len(batch))
				rows, mark := batch[start:end], inserted[start:end]
				s.buf = s.args(s.buf[:0], rows, importedAt)
				var err error
				if counted {
					err = s.writeCounted(ctx, tx, rows, mark)
				}
				if !counted || errors.Is(err, errRangeCrowded) && s.plan.returning != nil {
					err = s.writeReturning(ctx, tx, rows, mark)
				}
				if errors.Is(err, errMiscounted) {
					// Run the transaction again, by RETURNING where
					// there is one, which is exact whatever happens.
					counted = s.plan.returning == nil
					return sqldb.Conflict("%s: %v", s.st.p.rawTable, err)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("write %d punches: %w", len(batch), s.explainPunches(err))
	}
	if !bulk {
		s.noteAllNew(inserted)
	}
	return inserted, nil
}

// writeReturning inserts the chunk (args in s.buf) and marks the rows the
// database says it inserted.
func (s *Sink) writeReturning(ctx context.Context, tx *sqlx.Tx, rows []mapping.Punch, inserted []bool) error {
	clear(inserted)
	stmt, err := s.stmt(ctx, tx, len(rows), "returning", s.plan.returning)
	if err != nil {
		return err
	}
	defer stmt.Close()
	res, err := stmt.QueryContext(ctx, s.buf...)
	if err != nil {
		return err
	}
	_, err = s.markKeys(res, rows, inserted, true, false, 0)
	return err
}

// writeCounted reads the keys stored in the chunk's time range, then
// inserts (args in s.buf) and checks the count.
func (s *Sink) writeCounted(ctx context.Context, tx *sqlx.Tx, rows []mapping.Punch, inserted []bool) error {
	d := s.db.Dialect
	first, last := mapping.TimeSpan(rows)
	res, err := tx.QueryContext(ctx, s.st.selectKeysBetween(), d.BindTime(first, s.clock), d.BindTime(last, s.clock))
	if err != nil {
		return err
	}
	for i := range inserted {
		inserted[i] = true
	}
	limit := 0
	if s.plan.returning != nil {
		limit = crowdedFactor * len(rows)
	}
	crowded, err := s.markKeys(res, rows, inserted, false, true, limit)
	if err != nil {
		return err
	}
	if crowded {
		return errRangeCrowded
	}
	return s.insertCounted(ctx, tx, rows, inserted)
}

// insertCounted runs the insert that skips stored keys and checks that it
// inserted exactly the rows marked as new, returning mismatch if not.
func (s *Sink) insertCounted(ctx context.Context, tx *sqlx.Tx, rows []mapping.Punch, inserted []bool) error {
	want := 0
	for _, ok := range inserted {
		if ok {
			want++
		}
	}
	if want == 0 {
		return nil // every key is stored: a re-import; nothing to write
	}
	stmt, err := s.stmt(ctx, tx, len(rows), "insert", s.plan.insert)
	if err != nil {
		return err
	}
	defer stmt.Close()
	r, err := stmt.ExecContext(ctx, s.buf...)
	if err != nil {
		return err
	}
	got, err := r.RowsAffected()
	if err != nil {
		return err
	}
	return checkCount(got, want, len(rows), "insert", "inserted")
}

// checkCount returns errMiscounted unless the statement stored (got) want
// of the batch's n punches.
func checkCount(got int64, want, n int, verb, done string) error {
	if int(got) != want {
		return fmt.Errorf("expected to %s %d of %d punches, %s %d: %w", verb, want, n, done, got, errMiscounted)
	}
	return nil
}

// args appends the bind values of rows, in column order.
func (s *Sink) args(dst []any, rows []mapping.Punch, importedAt time.Time) []any {
	d := s.db.Dialect
	at := d.BindTime(importedAt, s.atClock)
	for i := range rows {
		p := &rows[i]
		for _, f := range s.st.p.fields {
			switch f {
			case "employee_id":
				dst = append(dst, p.EmployeeID)
			case "punch_time":
				dst = append(dst, d.BindTime(p.Time, s.clock))
			case "direction":
				dir := p.Direction
				if dir == "" {
					dir = mapping.DirUnknown
				}
				dst = append(dst, string(dir))
			case "device_id":
				dst = append(dst, p.DeviceID)
			case "source":
				dst = append(dst, p.Source)
			case "source_key":
				dst = append(dst, p.SourceKey)
			case "imported_at":
				dst = append(dst, at)
			}
		}
	}
	return dst
}

// prepareFullBatch prepares the statements for a full batch once, and
// outside any transaction: SQLite has a single connection, which a
// transaction holds. Parsing a 3,500-parameter INSERT costs about as much
// as running it.
func (s *Sink) prepareFullBatch(ctx context.Context, rows int) error {
	if s.prepared != nil || rows < s.batchSize {
		return nil
	}
	s.prepared = map[string]*sqlx.Stmt{}
	builders := map[string]func(int) string{"returning": s.plan.returning, "insert": s.plan.insert}
	if s.db.Dialect.Name() == sqldb.SQLite {
		builders[kindShared] = s.sharedBuilder(kindShared)
		if s.st.p.has("source") {
			builders[kindSharedSource] = s.sharedBuilder(kindSharedSource)
		}
	}
	for kind, build := range builders {
		if build == nil {
			continue
		}
		st, err := s.db.PreparexContext(ctx, build(s.batchSize))
		if err != nil {
			return err
		}
		s.prepared[kind] = st
	}
	return nil
}

// stmt gives the statement of a kind for n rows on tx: the prepared one
// for a full batch, else one prepared for this use.
func (s *Sink) stmt(ctx context.Context, tx *sqlx.Tx, n int, kind string, build func(int) string) (*sqlx.Stmt, error) {
	if st := s.prepared[kind]; st != nil && n == s.batchSize {
		return tx.StmtxContext(ctx, st), nil
	}
	return tx.PreparexContext(ctx, build(n))
}

// rowScanner is what markKeys needs of *sql.Rows.
type rowScanner interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// markKeys reads (punch_time, employee_id, device_id) rows and sets
// mark[i] to value for each row of the batch whose key they name. With
// fold, a key that matches no row exactly matches the way case- and
// trailing-space-insensitive collations (MySQL, SQL Server defaults)
// compare, for keys read back from a table rather than echoed by the
// insert. With limit > 0 it stops after that many rows and reports
// crowded.
//
// It reuses the sink's key list and map from batch to batch: a re-import
// reads back every key of every batch, and making them anew was most of
// what its collector had to do.
func (s *Sink) markKeys(res rowScanner, rows []mapping.Punch, mark []bool, value, fold bool, limit int) (crowded bool, err error) {
	defer res.Close()
	keys := s.keys[:0]
	defer func() { s.keys = keys[:0] }()
	var t, emp, dev, dir any
	dest := []any{&t, &emp, &dev, &dir}[:len(s.st.key)]
	for n := 1; res.Next(); n++ {
		if limit > 0 && n > limit {
			return true, nil
		}
		if err := res.Scan(dest...); err != nil {
			return false, err
		}
		when, err := s.clock.Read(t)
		if err != nil {
			return false, fmt.Errorf("read back punch key: %w", err)
		}
		keys = append(keys, s.ident.Stored(text(emp), when.Unix(), text(dev), text(dir)))
	}
	if err := res.Err(); err != nil {
		return false, err
	}
	if len(keys) <= fewKeys {
		// New punches in time order read back none, or the few stored
		// rows of the chunk's first second: no map is cheaper.
		for _, k := range keys {
			s.markKeyScan(k, rows, mark, value, fold)
		}
		return false, nil
	}
	if s.exact == nil {
		s.exact = make(map[mapping.Key]int, len(rows))
	}
	exact := s.exact
	clear(exact)
	for i := range rows {
		k := s.ident.Of(&rows[i])
		if _, seen := exact[k]; !seen { // a repeated key: the first copy counts
			exact[k] = i
		}
	}
	// folded is built at the first key that matches no row exactly.
	var folded map[mapping.Key][]int
	for _, k := range keys {
		if i, ok := exact[k]; ok {
			mark[i] = value
			continue
		}
		if !fold {
			continue
		}
		if folded == nil {
			folded = make(map[mapping.Key][]int, len(rows))
			for i := range rows {
				fk := s.ident.Of(&rows[i]).Folded()
				folded[fk] = append(folded[fk], i)
			}
		}
		for _, i := range folded[k.Folded()] {
			mark[i] = value
		}
	}
	return false, nil
}

// fewKeys is up to how many read-back keys markKeys matches by scanning
// the batch instead of building a map of it.
const fewKeys = 8

// markKeyScan is markKeys for one key, by scanning rows: the first row
// with the key exactly or, with fold and none exactly, every row that
// matches it folded.
func (s *Sink) markKeyScan(k mapping.Key, rows []mapping.Punch, mark []bool, value, fold bool) {
	for i := range rows {
		if rows[i].Time.Unix() == k.Unix && s.ident.Of(&rows[i]) == k {
			mark[i] = value
			return
		}
	}
	if !fold {
		return
	}
	fk := k.Folded()
	for i := range rows {
		if rows[i].Time.Unix() == k.Unix && s.ident.Of(&rows[i]).Folded() == fk {
			mark[i] = value
		}
	}
}

// directoryText is how values read back from the HR database are written:
// directory dates as dates, other times in UTC.
var directoryText = sqldb.TextFormat{Dates: true, Zone: time.UTC}

func text(v any) string { return sqldb.Text(v, directoryText) }
