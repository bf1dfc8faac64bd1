package sqlsink

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// This file serves resync: read what the HR table holds for some employees
// and days, and apply one employee's corrections in one transaction.

// StoredPunch is a punch as the HR table holds it. Fields whose column the
// table does not have are empty.
type StoredPunch struct {
	EmployeeID string
	Time       time.Time // UTC
	Direction  mapping.Direction
	DeviceID   string
	Source     string
	SourceKey  string
}

// Key is the stored punch's unique key under the identity.
func (p *StoredPunch) Key(id mapping.Identity) mapping.Key {
	return id.Stored(p.EmployeeID, p.Time.Unix(), p.DeviceID, string(p.Direction))
}

// HasPunchColumn reports whether the punch table has a column for the
// field (direction, source, source_key, imported_at are optional).
func (s *Sink) HasPunchColumn(field string) bool { return s.st.p.has(field) }

// readChunk is how many employee ids one SELECT names at most. The punch
// table's unique key leads with the time, so each SELECT scans a slice of
// it: few, large statements beat many small ones. The dialect's parameter
// limit (SQL Server: 2,100) caps it further.
const readChunk = 5000

// readSlice is the time one SELECT covers at most. Over a month, 1,000
// ids in the list, MariaDB and PostgreSQL scanned the whole table (a
// quarter of it was in the range: 5M punches, a table scan of 4.8M rows);
// over a day each reads the day's range of the key (MariaDB: range with
// index condition, PostgreSQL: bitmap index scan), so the read grows with
// the window and not with the table. SQLite took the key either way.
const readSlice = 24 * time.Hour

// ReadPunches hands fn every stored punch of the employees with a time in
// [from, to), from every source, a day's slice of the unique key at a time
// (no index leads with the employee: it would slow every import), up to
// readChunk employees per statement.
func (s *Sink) ReadPunches(ctx context.Context, employeeIDs []string, from, to time.Time, fn func(StoredPunch) error) error {
	d, p := s.db.Dialect, s.st.p
	var cols []string
	for _, f := range []string{"employee_id", "punch_time", "device_id", "direction", "source", "source_key"} {
		if p.has(f) {
			cols = append(cols, p.col(f))
		}
	}
	chunk := min(readChunk, d.MaxParams()-2)
	from, to, step, err := s.readSpan(ctx, from, to)
	if err != nil {
		return fmt.Errorf("read punches of %d employees from %s: %w", len(employeeIDs), p.rawTable, s.explainPunches(err))
	}
	for lo := from; lo.Before(to); lo = lo.Add(step) {
		hi := lo.Add(step)
		if hi.After(to) {
			hi = to
		}
		for start := 0; start < len(employeeIDs); start += chunk {
			ids := employeeIDs[start:min(start+chunk, len(employeeIDs))]
			var b strings.Builder
			fmt.Fprintf(&b, "SELECT %s FROM %s WHERE %s IN (", strings.Join(cols, ", "), p.table, p.col("employee_id"))
			args := make([]any, 0, len(ids)+2)
			for i, id := range ids {
				if i > 0 {
					b.WriteString(",")
				}
				b.WriteString(d.Placeholder(i + 1))
				args = append(args, id)
			}
			fmt.Fprintf(&b, ") AND %s >= %s AND %s < %s", p.col("punch_time"), d.Placeholder(len(ids)+1), p.col("punch_time"), d.Placeholder(len(ids)+2))
			args = append(args, d.BindTime(lo, s.clock), d.BindTime(hi, s.clock))
			if err := s.readStored(ctx, b.String(), args, fn); err != nil {
				return fmt.Errorf("read punches of %d employees from %s: %w", len(employeeIDs), p.rawTable, s.explainPunches(err))
			}
		}
	}
	return nil
}

// readSlices caps the statements of one read: a window of years is read
// in longer slices.
const readSlices = 400

// readSpan narrows a window of more than two slices to the times the table
// holds in it (MIN and MAX off the time-first key, with a day's margin for
// a wall clock's repeated hour) and gives the slice length: a read of
// 2000-2100 does not run 36,500 statements.
func (s *Sink) readSpan(ctx context.Context, from, to time.Time) (time.Time, time.Time, time.Duration, error) {
	if to.Sub(from) <= 2*readSlice {
		return from, to, readSlice, nil
	}
	d, p := s.db.Dialect, s.st.p
	q := fmt.Sprintf("SELECT MIN(%s), MAX(%s) FROM %s WHERE %s >= %s AND %s < %s", p.col("punch_time"), p.col("punch_time"), p.table,
		p.col("punch_time"), d.Placeholder(1), p.col("punch_time"), d.Placeholder(2))
	qctx, cancel := s.deadline.Start(ctx, "reading the time span of "+p.rawTable)
	defer cancel()
	var lo, hi any
	if err := s.db.QueryRowContext(qctx, q, d.BindTime(from, s.clock), d.BindTime(to, s.clock)).Scan(&lo, &hi); err != nil {
		return from, to, 0, sqldb.Timeout(qctx, err)
	}
	if lo == nil || hi == nil {
		return from, from, readSlice, nil // nothing stored in the window
	}
	first, err := s.clock.Read(lo)
	if err != nil {
		return from, to, 0, err
	}
	last, err := s.clock.Read(hi)
	if err != nil {
		return from, to, 0, err
	}
	if f := first.Add(-24 * time.Hour); f.After(from) {
		from = f
	}
	if l := last.Add(24 * time.Hour); l.Before(to) {
		to = l
	}
	step := readSlice
	if n := to.Sub(from) / readSlices; n > step {
		step = n
	}
	return from, to, step, nil
}

func (s *Sink) readStored(ctx context.Context, query string, args []any, fn func(StoredPunch) error) error {
	// The limit is on each wait for the database, not on what fn does.
	ctx, idle := s.deadline.StartIdle(ctx, "reading stored punches from "+s.st.p.rawTable)
	defer idle.Stop()
	return sqldb.Timeout(ctx, s.readStoredRows(ctx, idle, query, args, fn))
}

func (s *Sink) readStoredRows(ctx context.Context, idle *sqldb.Idle, query string, args []any, fn func(StoredPunch) error) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	idle.Got()
	if err != nil {
		return err
	}
	defer rows.Close()
	p := s.st.p
	var emp, t, dev, dir, src, key any
	dest := []any{&emp, &t, &dev}
	for _, f := range []struct {
		field string
		v     *any
	}{{"direction", &dir}, {"source", &src}, {"source_key", &key}} {
		if p.has(f.field) {
			dest = append(dest, f.v)
		}
	}
	var in interner
	for idle.Wait(); rows.Next(); idle.Wait() {
		idle.Got()
		dir, src, key = nil, nil, nil
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		when, err := s.clock.Read(t)
		if err != nil {
			return err
		}
		sp := StoredPunch{EmployeeID: in.text(emp), Time: when, DeviceID: in.text(dev),
			Direction: mapping.Direction(in.text(dir)), Source: in.text(src), SourceKey: in.text(key)}
		if err := fn(sp); err != nil {
			return err
		}
	}
	return rows.Err()
}

// interner hands out one copy of each text a read repeats (employees,
// devices, directions, sources): a caller keeping a slice's punches keeps
// a few strings, not one per column and row. It stops adding past
// internMax texts, so a read of many distinct values grows no map.
type interner struct{ seen map[string]string }

const internMax = 1 << 14

func (in *interner) text(v any) string {
	if b, ok := v.([]byte); ok {
		if t, ok := in.seen[string(b)]; ok { // no allocation for the lookup
			return t
		}
	} else if t, ok := v.(string); ok {
		if u, ok := in.seen[t]; ok {
			return u
		}
	}
	t := text(v)
	if in.seen == nil {
		in.seen = map[string]string{}
	}
	if len(in.seen) < internMax {
		in.seen[t] = t
	}
	return t
}

// PunchFix corrects one stored punch: the row Before names becomes After
// (direction, device, source key).
type PunchFix struct {
	Before StoredPunch
	After  mapping.Punch
}

// EmployeeChanges are the corrections for one employee.
type EmployeeChanges struct {
	EmployeeID string
	Insert     []mapping.Punch
	Update     []PunchFix
	Delete     []StoredPunch
}

// Empty reports whether there is nothing to do.
func (c *EmployeeChanges) Empty() bool {
	return len(c.Insert) == 0 && len(c.Update) == 0 && len(c.Delete) == 0
}

// ApplyChanges applies one employee's corrections in one transaction:
// updates, then deletes, then inserts. Every update and delete must hit
// exactly the row it names (and a delete only a row of the same source),
// and inserts are plain INSERTs, so a row another writer changed since the
// plan was read fails the transaction instead of being overwritten: the
// employee is then left as it was. A transient failure runs it again.
func (s *Sink) ApplyChanges(ctx context.Context, c EmployeeChanges) error {
	ctx, cancel := s.deadline.Start(ctx, "changing the punches of employee "+c.EmployeeID)
	defer cancel()
	return sqldb.Timeout(ctx, s.applyChanges(ctx, c))
}

func (s *Sink) applyChanges(ctx context.Context, c EmployeeChanges) error {
	if c.Empty() {
		return nil
	}
	if err := c.check(); err != nil {
		return err
	}
	if err := s.applyInTx(ctx, c); err != nil {
		return fmt.Errorf("apply changes of employee %s: %w", c.EmployeeID, s.explainPunches(err))
	}
	return nil
}

// ApplyChangesGroup applies several employees' corrections in one
// transaction, as ApplyChanges does each: one commit for them all. When it
// fails none is applied; the caller then applies them one at a time to
// learn which employee failed and keep the ones before it.
func (s *Sink) ApplyChangesGroup(ctx context.Context, cs []EmployeeChanges) error {
	var work []EmployeeChanges
	for _, c := range cs {
		if err := c.check(); err != nil {
			return err
		}
		if !c.Empty() {
			work = append(work, c)
		}
	}
	if len(work) == 0 {
		return nil
	}
	ctx, cancel := s.deadline.Start(ctx, fmt.Sprintf("changing the punches of %d employees", len(work)))
	defer cancel()
	if err := sqldb.Timeout(ctx, s.applyInTx(ctx, work...)); err != nil {
		return fmt.Errorf("apply changes of %d employees: %w", len(work), s.explainPunches(err))
	}
	return nil
}

// check refuses an insert of another employee.
func (c *EmployeeChanges) check() error {
	for i := range c.Insert {
		if c.Insert[i].EmployeeID != c.EmployeeID {
			return fmt.Errorf("apply changes of %s: insert %d belongs to %q", c.EmployeeID, i+1, c.Insert[i].EmployeeID)
		}
	}
	return nil
}

// applyInTx applies the changes in one transaction, each employee's
// updates, then deletes, then inserts; a transient failure runs it again.
func (s *Sink) applyInTx(ctx context.Context, cs ...EmployeeChanges) error {
	importedAt := s.now().UTC().Truncate(time.Second)
	return sqldb.Retry(ctx, retryAttempts, func(ctx context.Context) error {
		return s.inTx(ctx, func(tx *sqlx.Tx) error {
			for _, c := range cs {
				for _, f := range c.Update {
					if err := s.updateOne(ctx, tx, f); err != nil {
						return err
					}
				}
				for _, sp := range c.Delete {
					if err := s.deleteOne(ctx, tx, sp); err != nil {
						return err
					}
				}
				for start := 0; start < len(c.Insert); start += s.batchSize {
					rows := c.Insert[start:min(start+s.batchSize, len(c.Insert))]
					if _, err := tx.ExecContext(ctx, s.st.insertPlain(len(rows)), s.args(nil, rows, importedAt)...); err != nil {
						return err
					}
				}
			}
			return nil
		})
	})
}

// keyWhere appends "punch_time = ? AND employee_id = ? AND device_id = ?"
// (and "direction = ?" when the key has it: an in and an out of one second
// are two rows) for sp, starting at placeholder n. Oracle stores an empty
// device as NULL.
func (s *Sink) keyWhere(b *strings.Builder, args []any, n int, sp StoredPunch) []any {
	d, p := s.db.Dialect, s.st.p
	fmt.Fprintf(b, "%s = %s AND %s = %s AND ", p.col("punch_time"), d.Placeholder(n), p.col("employee_id"), d.Placeholder(n+1))
	args = append(args, d.BindTime(sp.Time, s.clock), sp.EmployeeID)
	if s.ident.Direction {
		fmt.Fprintf(b, "%s = %s AND ", p.col("direction"), d.Placeholder(n+2))
		args = append(args, string(mapping.StoredDirection(sp.Direction)))
		n++
	}
	if sp.DeviceID == "" && d.Name() == sqldb.Oracle {
		fmt.Fprintf(b, "%s IS NULL", p.col("device_id"))
		return args
	}
	fmt.Fprintf(b, "%s = %s", p.col("device_id"), d.Placeholder(n+2))
	return append(args, sp.DeviceID)
}

func (s *Sink) updateOne(ctx context.Context, tx *sqlx.Tx, f PunchFix) error {
	d, p := s.db.Dialect, s.st.p
	var b strings.Builder
	var args []any
	fmt.Fprintf(&b, "UPDATE %s SET %s = %s", p.table, p.col("device_id"), d.Placeholder(1))
	args = append(args, f.After.DeviceID)
	if p.has("direction") {
		dir := f.After.Direction
		if dir == "" {
			dir = mapping.DirUnknown
		}
		fmt.Fprintf(&b, ", %s = %s", p.col("direction"), d.Placeholder(len(args)+1))
		args = append(args, string(dir))
	}
	if p.has("source_key") {
		fmt.Fprintf(&b, ", %s = %s", p.col("source_key"), d.Placeholder(len(args)+1))
		args = append(args, f.After.SourceKey)
	}
	b.WriteString(" WHERE ")
	args = s.keyWhere(&b, args, len(args)+1, f.Before)
	if p.has("source") {
		fmt.Fprintf(&b, " AND %s = %s", p.col("source"), d.Placeholder(len(args)+1))
		args = append(args, f.Before.Source)
	}
	return s.execOne(ctx, tx, b.String(), args, "update", f.Before)
}

func (s *Sink) deleteOne(ctx context.Context, tx *sqlx.Tx, sp StoredPunch) error {
	d, p := s.db.Dialect, s.st.p
	var b strings.Builder
	fmt.Fprintf(&b, "DELETE FROM %s WHERE ", p.table)
	args := s.keyWhere(&b, nil, 1, sp)
	if p.has("source") {
		fmt.Fprintf(&b, " AND %s = %s", p.col("source"), d.Placeholder(len(args)+1))
		args = append(args, sp.Source)
	}
	return s.execOne(ctx, tx, b.String(), args, "delete", sp)
}

// execOne runs a statement that must touch exactly one row.
func (s *Sink) execOne(ctx context.Context, tx *sqlx.Tx, query string, args []any, what string, sp StoredPunch) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%s punch of %s at %s on device %q: touched %d rows, want 1 (the HR table changed since the plan was read; run again)",
			what, sp.EmployeeID, s.clock.Wall(sp.Time).Format(sqldb.TimeLayout), sp.DeviceID, n)
	}
	return nil
}

// insertPlain inserts n rows and fails on a key that exists.
func (st statements) insertPlain(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", st.p.table, st.columnList())
	st.valueRows(&b, n, "(", ")")
	return b.String()
}
