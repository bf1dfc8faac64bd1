// Package sqlsink writes punches into the HR system's SQL database and
// reads the employee directory from it. Writes are idempotent: a punch
// whose key (time, employee, device) is already stored is reported as a
// duplicate and left alone.
package sqlsink

import (
	"context"
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
	writer    punchWriter
	// now stamps imported_at; tests replace it.
	now func() time.Time
	// fullBatch is the insert statement for a full batch, prepared once.
	fullBatch *sqlx.Stmt
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
	s := &Sink{db: db, st: statements{d: db.Dialect, p: p}, emp: emp, now: time.Now}
	s.create = db.Dialect.Name() == sqldb.SQLite
	if cfg.Create != nil {
		s.create = *cfg.Create
	}
	if cfg.BatchSize < 0 {
		return nil, fmt.Errorf("batch_size: %d is negative", cfg.BatchSize)
	}
	s.batchSize = cfg.BatchSize
	if s.batchSize == 0 {
		s.batchSize = defaultBatchSize(db.Dialect.Name())
	}
	s.batchSize = min(s.batchSize, db.Dialect.MaxParams()/len(p.fields))
	if s.writer, err = s.chooseWriter(ctx); err != nil {
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
	if s.fullBatch != nil {
		s.fullBatch.Close()
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

// punchWriter writes one statement's worth of punches inside a
// transaction and marks which of them it inserted.
type punchWriter interface {
	write(ctx context.Context, tx *sqlx.Tx, rows []mapping.Punch, importedAt time.Time, inserted []bool) error
}

var mariaDBVersion = regexp.MustCompile(`^(\d+)\.(\d+).*MariaDB`)

// chooseWriter picks how to learn which rows were new: from the insert
// itself where the database can say (RETURNING, OUTPUT), else by reading
// the keys that exist first.
func (s *Sink) chooseWriter(ctx context.Context) (punchWriter, error) {
	switch s.db.Dialect.Name() {
	case sqldb.MySQL:
		var version string
		if err := s.db.GetContext(ctx, &version, "SELECT VERSION()"); err != nil {
			return nil, fmt.Errorf("%s: read server version: %w", s.db.URL, err)
		}
		if m := mariaDBVersion.FindStringSubmatch(version); m != nil {
			major, _ := strconv.Atoi(m[1])
			minor, _ := strconv.Atoi(m[2])
			if major > 10 || major == 10 && minor >= 5 { // INSERT ... RETURNING since 10.5
				return &returningWriter{s: s, sql: s.st.insertReturning}, nil
			}
		}
		return &preselectWriter{s: s}, nil
	case sqldb.SQLServer:
		return &returningWriter{s: s, sql: s.st.mergeOutput}, nil
	case sqldb.Oracle, sqldb.SQLite:
		// SQLite: reading the batch's time range off the time-first key and
		// inserting only the new rows beats RETURNING by far (the range is
		// the B-tree's tail on a fresh import, and the writer holds the run
		// lock, so nothing slips in between).
		return &preselectWriter{s: s}, nil
	default:
		return &returningWriter{s: s, sql: s.st.insertReturning}, nil
	}
}

// WritePunches stores the punches in one transaction and reports, for each,
// whether it was inserted (false: its key was already stored). The caller
// guarantees that no two punches in one call share a key. A transaction
// that fails for a transient reason is run again, whole.
func (s *Sink) WritePunches(ctx context.Context, batch []mapping.Punch) ([]bool, error) {
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
	importedAt := s.now().UTC().Truncate(time.Second)
	if err := s.prepareFullBatch(ctx, len(batch)); err != nil {
		return nil, fmt.Errorf("write %d punches: %w", len(batch), s.explainPunches(err))
	}
	err := sqldb.Retry(ctx, retryAttempts, func(ctx context.Context) error {
		clear(inserted)
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			for start := 0; start < len(batch); start += s.batchSize {
				end := min(start+s.batchSize, len(batch))
				if err := s.writer.write(ctx, tx, batch[start:end], importedAt, inserted[start:end]); err != nil {
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

// returningWriter learns the inserted rows from the statement's own
// result (RETURNING, OUTPUT).
type returningWriter struct {
	s   *Sink
	sql func(n int) string
	buf []any
}

func (w *returningWriter) write(ctx context.Context, tx *sqlx.Tx, rows []mapping.Punch, importedAt time.Time, inserted []bool) error {
	w.buf = w.s.args(w.buf[:0], rows, importedAt)
	stmt, err := w.s.stmt(ctx, tx, len(rows), w.sql)
	if err != nil {
		return err
	}
	defer stmt.Close()
	res, err := stmt.QueryContext(ctx, w.buf...)
	if err != nil {
		return err
	}
	return markKeys(res, rows, inserted, true, false)
}

// prepareFullBatch prepares the statement for a full batch once, and
// outside any transaction: SQLite has a single connection, which a
// transaction holds. Parsing a 3,500-parameter INSERT costs as much as
// running it.
func (s *Sink) prepareFullBatch(ctx context.Context, rows int) error {
	if s.fullBatch != nil || rows < s.batchSize {
		return nil
	}
	build := s.st.insertReturning
	switch w := s.writer.(type) {
	case *returningWriter:
		build = w.sql
	case *preselectWriter:
		build = w.insertSQL()
	}
	st, err := s.db.PreparexContext(ctx, build(s.batchSize))
	if err != nil {
		return err
	}
	s.fullBatch = st
	return nil
}

// stmt gives the statement for n rows on tx: the prepared one for a full
// batch, else one prepared for this use.
func (s *Sink) stmt(ctx context.Context, tx *sqlx.Tx, n int, build func(int) string) (*sqlx.Stmt, error) {
	if n == s.batchSize && s.fullBatch != nil {
		return tx.StmtxContext(ctx, s.fullBatch), nil
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

// preselectWriter reads which keys exist, then inserts skipping them, for
// databases whose insert cannot say which rows it added (MySQL, Oracle).
// It checks the inserted count against what the read predicted: a
// concurrent writer in between makes the transaction run again.
type preselectWriter struct {
	s   *Sink
	buf []any
}

func (w *preselectWriter) write(ctx context.Context, tx *sqlx.Tx, rows []mapping.Punch, importedAt time.Time, inserted []bool) error {
	s := w.s
	d := s.db.Dialect
	for i := range inserted {
		inserted[i] = true
	}
	var (
		res rowScanner
		err error
	)
	insert := w.insertSQL()
	if d.Name() == sqldb.Oracle || d.Name() == sqldb.SQLite {
		first, last := rows[0].Time, rows[0].Time
		for _, p := range rows {
			first, last = minTime(first, p.Time), maxTime(last, p.Time)
		}
		res, err = tx.QueryContext(ctx, s.st.selectKeysBetween(), d.BindTime(first), d.BindTime(last))
	} else {
		keys := make([]any, 0, 3*len(rows))
		for _, p := range rows {
			keys = append(keys, d.BindTime(p.Time), p.EmployeeID, p.DeviceID)
		}
		res, err = tx.QueryContext(ctx, s.st.selectKeys(len(rows)), keys...)
	}
	if err != nil {
		return err
	}
	if err := markKeys(res, rows, inserted, false, true); err != nil {
		return err
	}
	want := 0
	for _, ok := range inserted {
		if ok {
			want++
		}
	}
	w.buf = s.args(w.buf[:0], rows, importedAt)
	stmt, err := s.stmt(ctx, tx, len(rows), insert)
	if err != nil {
		return err
	}
	defer stmt.Close()
	r, err := stmt.ExecContext(ctx, w.buf...)
	if err != nil {
		return err
	}
	got, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if int(got) != want {
		return sqldb.Conflict("expected to insert %d of %d punches but inserted %d: another writer changed %s meanwhile", want, len(rows), got, s.st.p.rawTable)
	}
	return nil
}

func (w *preselectWriter) insertSQL() func(int) string {
	switch w.s.db.Dialect.Name() {
	case sqldb.Oracle:
		return w.s.st.mergeOracle
	case sqldb.SQLite:
		return w.s.st.insertOrIgnore
	}
	return w.s.st.insertIgnore
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
