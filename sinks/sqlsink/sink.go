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
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// Sink is an open HR database.
type Sink struct {
	db        *sqldb.DB
	st        statements
	emp       employeeColumns
	create    bool
	batchSize int
	plan      writePlan
	// now stamps imported_at; tests replace it.
	now func() time.Time
	// prepared holds the statements for a full batch, by kind, prepared
	// on first use.
	prepared map[string]*sqlx.Stmt
	buf      []any
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

// batchSize is rows per statement: the configured number or the
// dialect's default, lowered to fit the database's bind parameter limit.
func batchSize(d sqldb.Dialect, configured, columns int) (int, error) {
	if configured < 0 {
		return 0, fmt.Errorf("batch_size: %d is negative", configured)
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
	s, err := newSink(ctx, db, cfg)
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
	st := statements{d: db.Dialect, p: p, employeeIndex: cfg.Punches.EmployeeIndex == nil || *cfg.Punches.EmployeeIndex}
	s := &Sink{db: db, st: st, emp: emp, now: time.Now}
	s.create = db.Dialect.Name() == sqldb.SQLite
	if cfg.Create != nil {
		s.create = *cfg.Create
	}
	if s.batchSize, err = batchSize(db.Dialect, cfg.BatchSize, len(p.fields)); err != nil {
		return nil, err
	}
	if s.plan, err = s.choosePlan(ctx); err != nil {
		return nil, err
	}
	if err := s.ensurePunchTable(ctx); err != nil {
		return nil, err
	}
	if s.create && emp.query == "" {
		if err := s.ensureEmployeeTable(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close closes the database.
func (s *Sink) Close() error {
	for _, st := range s.prepared {
		st.Close()
	}
	return s.db.Close()
}

// DB gives the open database, for callers that share it (tests, tools).
func (s *Sink) DB() *sqldb.DB { return s.db }

// BatchSize is the number of rows one INSERT carries.
func (s *Sink) BatchSize() int { return s.batchSize }

func (s *Sink) ensurePunchTable(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, s.st.probe())
	if err == nil {
		return nil
	}
	if sqldb.Classify(err) != sqldb.MissingTable || !s.create {
		return s.explainPunches(err)
	}
	stmts, err := s.st.createPunches()
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("create table %s in %s: %w", s.st.p.rawTable, s.db.URL, err)
			}
		}
		return nil
	})
}

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

// writePlan is how one database writes punches and learns which were new.
type writePlan struct {
	// returning inserts, skipping stored keys, and yields the keys it
	// inserted; nil where the database cannot (MySQL, Oracle).
	returning func(n int) string
	// insert inserts, skipping stored keys, without saying which: used
	// when a probe found the batch's time range empty (every row is new,
	// checked by count) and after a pre-select. nil: no such path.
	insert func(n int) string
	// preselect reads the stored keys among the rows, where there is no
	// returning.
	preselect func(rows []mapping.Punch) (string, []any)
	// probe finds whether any punch is stored between two times.
	probe string
}

var mariaDBVersion = regexp.MustCompile(`^(\d+)\.(\d+).*MariaDB`)

// choosePlan picks how to learn which rows were new: from the insert
// itself where the database can say (RETURNING, OUTPUT), else by reading
// the keys that exist first. Where it is cheap, a probe of the batch's
// time range first spots the common case of punches newer than anything
// stored, which needs neither.
func (s *Sink) choosePlan(ctx context.Context) (writePlan, error) {
	st := s.st
	switch s.db.Dialect.Name() {
	case sqldb.MySQL:
		var version string
		if err := s.db.GetContext(ctx, &version, "SELECT VERSION()"); err != nil {
			return writePlan{}, fmt.Errorf("%s: read server version: %w", s.db.URL, err)
		}
		plan := writePlan{insert: st.insertIgnore, probe: st.probeBetween(), preselect: s.preselectBetween}
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
		return writePlan{insert: st.mergeOracle, probe: st.probeBetween(), preselect: s.preselectBetween}, nil
	default:
		return writePlan{returning: st.insertReturning, insert: st.insertSkipping, probe: st.probeBetween()}, nil
	}
}

// errNotFresh: an insert after an empty probe skipped rows (a writer
// raced us, or the batch repeats a key). The transaction is run again
// without the fast path.
var errNotFresh = errors.New("rows appeared in the time range after the probe")

// WritePunches stores the punches in one transaction and reports, for each,
// whether it was inserted (false: its key was already stored). The caller
// guarantees that no two punches in one call share a key. A transaction
// that fails for a transient reason is run again, whole.
func (s *Sink) WritePunches(ctx context.Context, batch []mapping.Punch) ([]bool, error) {
	inserted := make([]bool, len(batch))
	if len(batch) == 0 {
		return inserted, nil
	}
	first, last := batch[0].Time, batch[0].Time
	for i := range batch {
		if batch[i].EmployeeID == "" {
			return nil, fmt.Errorf("punch %d of the batch (%s line %d): no employee id", i+1, batch[i].Origin.File, batch[i].Origin.Line)
		}
		if batch[i].Time.IsZero() {
			return nil, fmt.Errorf("punch %d of the batch (%s line %d): no time", i+1, batch[i].Origin.File, batch[i].Origin.Line)
		}
		first, last = minTime(first, batch[i].Time), maxTime(last, batch[i].Time)
	}
	importedAt := s.now().UTC().Truncate(time.Second)
	if err := s.prepareFullBatch(ctx, len(batch)); err != nil {
		return nil, fmt.Errorf("write %d punches: %w", len(batch), s.explainPunches(err))
	}
	useProbe := s.plan.probe != "" && s.plan.insert != nil
	err := sqldb.Retry(ctx, retryAttempts, func(ctx context.Context) error {
		clear(inserted)
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			fresh := false
			if useProbe {
				var err error
				if fresh, err = s.rangeEmpty(ctx, tx, first, last); err != nil {
					return err
				}
			}
			for start := 0; start < len(batch); start += s.batchSize {
				end := min(start+s.batchSize, len(batch))
				err := s.writeChunk(ctx, tx, batch[start:end], importedAt, inserted[start:end], fresh)
				if errors.Is(err, errNotFresh) {
					useProbe = false
					return sqldb.Conflict("%v", err)
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
	return inserted, nil
}

// rangeEmpty reports whether no punch is stored between first and last:
// then every punch of the batch is new. The time-first unique index
// answers it with one seek.
func (s *Sink) rangeEmpty(ctx context.Context, tx *sqlx.Tx, first, last time.Time) (bool, error) {
	d := s.db.Dialect
	rows, err := tx.QueryContext(ctx, s.plan.probe, d.BindTime(first), d.BindTime(last))
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := rows.Next()
	return !found, rows.Err()
}

// writeChunk writes one statement's worth of punches and marks which it
// inserted.
func (s *Sink) writeChunk(ctx context.Context, tx *sqlx.Tx, rows []mapping.Punch, importedAt time.Time, inserted []bool, fresh bool) error {
	s.buf = s.args(s.buf[:0], rows, importedAt)
	switch {
	case fresh:
		for i := range inserted {
			inserted[i] = true
		}
		return s.insertCounted(ctx, tx, rows, inserted, errNotFresh)
	case s.plan.returning != nil:
		stmt, err := s.stmt(ctx, tx, len(rows), "returning", s.plan.returning)
		if err != nil {
			return err
		}
		defer stmt.Close()
		res, err := stmt.QueryContext(ctx, s.buf...)
		if err != nil {
			return err
		}
		return markKeys(res, rows, inserted, true, false)
	default:
		q, args := s.plan.preselect(rows)
		res, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		for i := range inserted {
			inserted[i] = true
		}
		if err := markKeys(res, rows, inserted, false, true); err != nil {
			return err
		}
		return s.insertCounted(ctx, tx, rows, inserted,
			sqldb.Conflict("another writer changed %s while punches were written", s.st.p.rawTable))
	}
}

// insertCounted runs the insert that skips stored keys and checks that it
// inserted exactly the rows marked as new, returning mismatch if not.
func (s *Sink) insertCounted(ctx context.Context, tx *sqlx.Tx, rows []mapping.Punch, inserted []bool, mismatch error) error {
	want := 0
	for _, ok := range inserted {
		if ok {
			want++
		}
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
	if int(got) != want {
		return fmt.Errorf("expected to insert %d of %d punches, inserted %d: %w", want, len(rows), got, mismatch)
	}
	return nil
}

// preselectBetween reads the stored keys in the rows' time range
// (Oracle, where ” is NULL and a tuple IN list cannot match it).
func (s *Sink) preselectBetween(rows []mapping.Punch) (string, []any) {
	d := s.db.Dialect
	first, last := rows[0].Time, rows[0].Time
	for _, p := range rows {
		first, last = minTime(first, p.Time), maxTime(last, p.Time)
	}
	return s.st.selectKeysBetween(), []any{d.BindTime(first), d.BindTime(last)}
}

// args appends the bind values of rows, in column order.
func (s *Sink) args(dst []any, rows []mapping.Punch, importedAt time.Time) []any {
	d := s.db.Dialect
	at := d.BindTime(importedAt)
	for i := range rows {
		p := &rows[i]
		for _, f := range s.st.p.fields {
			switch f {
			case "employee_id":
				dst = append(dst, p.EmployeeID)
			case "punch_time":
				dst = append(dst, d.BindTime(p.Time))
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
	for kind, build := range map[string]func(int) string{"returning": s.plan.returning, "insert": s.plan.insert} {
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
// insert.
func markKeys(res rowScanner, rows []mapping.Punch, mark []bool, value, fold bool) error {
	defer res.Close()
	exact := make(map[mapping.Key]int, len(rows))
	var folded map[mapping.Key][]int
	if fold {
		folded = make(map[mapping.Key][]int, len(rows))
	}
	for i := range rows {
		k := rows[i].Key()
		exact[k] = i
		if fold {
			folded[foldKey(k)] = append(folded[foldKey(k)], i)
		}
	}
	var t, emp, dev any
	for res.Next() {
		if err := res.Scan(&t, &emp, &dev); err != nil {
			return err
		}
		when, err := sqldb.ScanTime(t)
		if err != nil {
			return fmt.Errorf("read back punch key: %w", err)
		}
		k := mapping.Key{EmployeeID: text(emp), Unix: when.Unix(), DeviceID: text(dev)}
		if i, ok := exact[k]; ok {
			mark[i] = value
			continue
		}
		for _, i := range folded[foldKey(k)] {
			mark[i] = value
		}
	}
	return res.Err()
}

func foldKey(k mapping.Key) mapping.Key {
	k.EmployeeID = strings.ToLower(strings.TrimRight(k.EmployeeID, " "))
	k.DeviceID = strings.ToLower(strings.TrimRight(k.DeviceID, " "))
	return k
}

// text turns a scanned value into its text; NULL (Oracle's ”) is "".
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.UTC().Format(sqldb.TimeLayout)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
