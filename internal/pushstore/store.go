// Package pushstore is the durable side of the device push endpoint: the
// punches devices send (committed before the device is told "OK"), each
// device's upload stamps, the registry of allowed and pending serials, and
// the queue of commands for devices with their results. It is one SQLite
// file: its own, or the run state database whose path the caller passes.
package pushstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// Store is an open push database. Safe for concurrent use: one connection
// serialises every write, which SQLite does anyway.
type Store struct {
	db      *sql.DB
	now     func() time.Time
	ops     chan groupOp // to the group-commit writer
	quit    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// Punch is one attendance record as the device sent it. Time is the
// device's wall clock ("2006-01-02 15:04:05") without a zone: the zone is
// the device's, from the registry, applied when punches are imported.
type Punch struct {
	PIN      string
	Time     string
	State    int
	Verify   int
	WorkCode string
	Raw      string // the line as received, for the import's report
}

// BadLine is a line of an upload that could not be read.
type BadLine struct {
	Line   int // 1-based within the upload
	Text   string
	Reason string
}

// Batch is one upload of a device, saved in one transaction.
type Batch struct {
	Serial  string
	Table   string // ATTLOG, OPERLOG, USERINFO, ...
	Stamp   string // the device's stamp for Table after this upload; "" keeps the old one
	Punches []Punch
	Others  int // OPERLOG/USERINFO lines accepted (counted, not kept)
	Bad     []BadLine
}

// ErrNotAllowed is Save's error for a serial the registry does not allow.
var ErrNotAllowed = errors.New("device is not allowed")

// Result is what Save did.
type Result struct {
	Added      int // new rows in received
	Duplicates int // punches already stored (a resend)
	Bad        int // malformed lines not seen before from this device
}

// Device is one registry row.
type Device struct {
	Serial     string
	Allowed    bool // false: pending, waiting for an admin
	Name       string
	TimeZone   string
	FirstSeen  time.Time
	LastSeen   time.Time
	LastUpload time.Time // zero before the first upload
	RemoteAddr string
	Info       string // the device's last INFO: "Ver 6.60 Apr 28 2017,users,fingerprints,records,IP,..."
	Received   int64  // punches added, all time
	Others     int64  // OPERLOG/USERINFO lines accepted, all time
	Bad        int64  // distinct malformed lines, all time
}

// Online tells whether the device called within the last d (a few of the
// poll Delays the handshake gives it).
func (d Device) Online(now time.Time, within time.Duration) bool {
	return !d.LastSeen.IsZero() && now.Sub(d.LastSeen) <= within
}

// Command is a queued command for a device.
type Command struct {
	ID   int64
	Body string // "DATA UPDATE USERINFO PIN=1\tName=...", "CHECK", ...
}

// CommandResult is one line of a device's POST /iclock/devicecmd.
type CommandResult struct {
	ID     int64
	Return int
	Cmd    string
}

// Open opens (creating if needed) the push database at path. synchronous=FULL
// in WAL mode makes every commit durable before Save returns, which is what
// lets the handler acknowledge a batch only once it survives a crash.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("pushstore %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("pushstore %s: %w", path, err)
	}
	s := &Store{db: db, now: time.Now, ops: make(chan groupOp), quit: make(chan struct{}), stopped: make(chan struct{})}
	go s.writer()
	return s, nil
}

// Close stops the writer (after the group it is committing) and closes the
// database. Saves after Close fail with ErrClosed.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.quit) })
	<-s.stopped
	return s.db.Close()
}

const schema = `
CREATE TABLE IF NOT EXISTS push_devices (
  serial TEXT PRIMARY KEY,
  allowed INTEGER NOT NULL DEFAULT 0,
  name TEXT NOT NULL DEFAULT '',
  timezone TEXT NOT NULL DEFAULT '',
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  last_upload TEXT NOT NULL DEFAULT '',
  remote_addr TEXT NOT NULL DEFAULT '',
  info TEXT NOT NULL DEFAULT '',
  received INTEGER NOT NULL DEFAULT 0,
  others INTEGER NOT NULL DEFAULT 0,
  bad INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS push_stamps (
  serial TEXT NOT NULL,
  tbl TEXT NOT NULL,
  stamp TEXT NOT NULL,
  PRIMARY KEY (serial, tbl)
);
CREATE TABLE IF NOT EXISTS received (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  serial TEXT NOT NULL,
  pin TEXT NOT NULL,
  time TEXT NOT NULL,
  state INTEGER NOT NULL,
  verify INTEGER NOT NULL,
  workcode TEXT NOT NULL,
  raw TEXT NOT NULL,
  received_at TEXT NOT NULL,
  UNIQUE (serial, pin, time, state)
);
CREATE TABLE IF NOT EXISTS received_bad (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  serial TEXT NOT NULL,
  tbl TEXT NOT NULL,
  line INTEGER NOT NULL,
  text TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at TEXT NOT NULL,
  UNIQUE (serial, tbl, text)
);
CREATE TABLE IF NOT EXISTS push_commands (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  serial TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'queued',
  created_at TEXT NOT NULL,
  sent_at TEXT NOT NULL DEFAULT '',
  done_at TEXT NOT NULL DEFAULT '',
  return_code INTEGER,
  result TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS push_commands_queued ON push_commands(serial, status, id);
CREATE TABLE IF NOT EXISTS push_users (
  employee_id TEXT PRIMARY KEY,
  pin TEXT NOT NULL,
  name TEXT NOT NULL,
  active INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);
`

const stamp = "2006-01-02T15:04:05.000Z07:00"

func (s *Store) ts() string { return s.now().UTC().Format(stamp) }

// maxInfo bounds a device's INFO (about 80 bytes on real firmware).
const maxInfo = 256

// maxBadText bounds what one malformed line may put in the database.
const maxBadText = 512

// Save commits one upload: the punches (a punch already stored is counted
// as a duplicate and adds nothing), the malformed lines, the device's
// counters and its new stamp, durably, before it returns. The device must be
// allowed; Save refuses any other with ErrNotAllowed.
//
// Concurrent Saves are committed together by one writer (group commit): one
// transaction and one sync for every upload waiting, instead of one each,
// and uploads are taken in arrival order, so no device waits behind luckier
// ones.
func (s *Store) Save(ctx context.Context, b Batch) (Result, error) {
	var res Result
	err := s.inGroup(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		res, err = s.saveOne(ctx, tx, b)
		return err
	})
	if err != nil {
		return Result{}, err
	}
	return res, nil
}

// inGroup runs fn in the writer's next group transaction and returns once
// that transaction is committed (or failed). An error of fn wrapping
// ErrNotAllowed is fn's own (its writes are none); any other fails the group.
func (s *Store) inGroup(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	op := groupOp{fn: fn, done: make(chan error, 1)}
	select {
	case s.ops <- op:
	case <-s.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once the writer has the op it always answers; waiting for it even
	// after ctx ends keeps "stored" and "told stored" the same thing.
	return <-op.done
}

// ErrClosed is Save's error after Close.
var ErrClosed = errors.New("pushstore: closed")

type groupOp struct {
	fn   func(context.Context, *sql.Tx) error
	done chan error
}

// maxGroup bounds one group commit (uploads of up to a few hundred records).
const maxGroup = 128

func (s *Store) writer() {
	defer close(s.stopped)
	for {
		var group []groupOp
		select {
		case op := <-s.ops:
			group = append(group, op)
		case <-s.quit:
			return
		}
	more:
		for len(group) < maxGroup {
			select {
			case op := <-s.ops:
				group = append(group, op)
			default:
				break more
			}
		}
		s.commitGroup(group)
	}
}

// commitGroup runs the group in one transaction. An upload refused for its
// device is answered on its own; any other error fails the whole group, and
// its devices resend.
func (s *Store) commitGroup(group []groupOp) {
	errs := make([]error, len(group))
	fail := func(err error) {
		for _, op := range group {
			op.done <- fmt.Errorf("pushstore: %w", err)
		}
	}
	ctx := context.Background() // the group outlives any one request
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	for i, op := range group {
		err := op.fn(ctx, tx)
		if err != nil && !errors.Is(err, ErrNotAllowed) {
			fail(err)
			return
		}
		errs[i] = err
	}
	if err := tx.Commit(); err != nil {
		fail(err)
		return
	}
	for i, op := range group {
		op.done <- errs[i]
	}
}

func (s *Store) saveOne(ctx context.Context, tx *sql.Tx, b Batch) (Result, error) {
	var r Result
	var allowed bool
	if err := tx.QueryRowContext(ctx, `SELECT allowed FROM push_devices WHERE serial = ?`, b.Serial).Scan(&allowed); err != nil || !allowed {
		if err == nil || errors.Is(err, sql.ErrNoRows) {
			return r, fmt.Errorf("pushstore: %q: %w", b.Serial, ErrNotAllowed)
		}
		return r, err
	}
	now := s.ts()
	if len(b.Punches) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT INTO received (serial, pin, time, state, verify, workcode, raw, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial, pin, time, state) DO NOTHING`)
		if err != nil {
			return r, err
		}
		defer st.Close()
		for _, p := range b.Punches {
			res, err := st.ExecContext(ctx, b.Serial, p.PIN, p.Time, p.State, p.Verify, p.WorkCode, p.Raw, now)
			if err != nil {
				return Result{}, err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				r.Added++
			} else {
				r.Duplicates++
			}
		}
	}
	for _, l := range b.Bad {
		text := l.Text
		if len(text) > maxBadText {
			text = text[:maxBadText]
		}
		// A resend of a batch with a bad line must not count it twice.
		res, err := tx.ExecContext(ctx, `INSERT INTO received_bad (serial, tbl, line, text, reason, received_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (serial, tbl, text) DO NOTHING`, b.Serial, b.Table, l.Line, text, l.Reason, now)
		if err != nil {
			return Result{}, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			r.Bad++
		}
	}
	if b.Stamp != "" {
		if _, err := tx.ExecContext(ctx, `INSERT INTO push_stamps (serial, tbl, stamp) VALUES (?, ?, ?)
ON CONFLICT (serial, tbl) DO UPDATE SET stamp = excluded.stamp`, b.Serial, b.Table, b.Stamp); err != nil {
			return Result{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE push_devices SET last_seen = ?, last_upload = ?,
received = received + ?, others = others + ?, bad = bad + ? WHERE serial = ?`,
		now, now, r.Added, b.Others, r.Bad, b.Serial); err != nil {
		return Result{}, err
	}
	return r, nil
}

// Touch records that serial called from remote and returns its registry row.
// An unknown serial is added as pending (not allowed), so an admin can
// approve it, and first is true; the caller refuses it. info is what the
// device says of itself (its poll's INFO: firmware, counts, address); ""
// keeps the last one.
func (s *Store) Touch(ctx context.Context, serial, remote, info string) (d Device, first bool, err error) {
	if len(info) > maxInfo {
		info = info[:maxInfo]
	}
	// In the writer's group: a poll costs no sync of its own.
	err = s.inGroup(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.ts()
		res, err := tx.ExecContext(ctx, `UPDATE push_devices SET last_seen = ?, remote_addr = ?,
info = CASE WHEN ? = '' THEN info ELSE ? END WHERE serial = ?`, now, remote, info, info, serial)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// A new serial is pending, up to MaxPending of them: a caller
			// trying serials cannot grow the registry without bound.
			res, err := tx.ExecContext(ctx, `INSERT INTO push_devices (serial, first_seen, last_seen, remote_addr, info)
SELECT ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM push_devices WHERE allowed = 0) < ?
ON CONFLICT (serial) DO NOTHING`, serial, now, now, remote, info, MaxPending)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				d = Device{Serial: serial} // not recorded: the pending list is full
				return nil
			}
			first = true
		}
		d, err = scanDevice(tx.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM push_devices WHERE serial = ?`, serial))
		return err
	})
	if err != nil {
		return Device{}, false, err
	}
	return d, first, nil
}

// MaxPending bounds the devices waiting for approval; a serial calling
// when that many wait is refused without being listed.
const MaxPending = 1000

// Allow approves serial (adding it if it never called) with a name and an
// IANA time zone ("" for the config's default).
func (s *Store) Allow(ctx context.Context, serial, name, tz string) error {
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			return fmt.Errorf("pushstore: device %q: time zone: %w", serial, err)
		}
	}
	now := s.ts()
	_, err := s.db.ExecContext(ctx, `INSERT INTO push_devices (serial, allowed, name, timezone, first_seen, last_seen) VALUES (?, 1, ?, ?, ?, ?)
ON CONFLICT (serial) DO UPDATE SET allowed = 1, name = excluded.name, timezone = excluded.timezone`, serial, name, tz, now, "")
	if err != nil {
		return fmt.Errorf("pushstore: %w", err)
	}
	return nil
}

const deviceCols = `serial, allowed, name, timezone, first_seen, last_seen, last_upload, remote_addr, info, received, others, bad`

func scanDevice(sc interface{ Scan(...any) error }) (Device, error) {
	var d Device
	var first, last, upload string
	if err := sc.Scan(&d.Serial, &d.Allowed, &d.Name, &d.TimeZone, &first, &last, &upload, &d.RemoteAddr, &d.Info, &d.Received, &d.Others, &d.Bad); err != nil {
		return d, err
	}
	d.FirstSeen, _ = time.Parse(stamp, first)
	d.LastSeen, _ = time.Parse(stamp, last)
	d.LastUpload, _ = time.Parse(stamp, upload)
	return d, nil
}

// Device returns serial's registry row; ok is false when it never called
// and was never allowed.
func (s *Store) Device(ctx context.Context, serial string) (d Device, ok bool, err error) {
	d, err = scanDevice(s.db.QueryRowContext(ctx, `SELECT `+deviceCols+` FROM push_devices WHERE serial = ?`, serial))
	if errors.Is(err, sql.ErrNoRows) {
		return Device{}, false, nil
	}
	if err != nil {
		return Device{}, false, fmt.Errorf("pushstore: %w", err)
	}
	return d, true, nil
}

// Devices lists the registry in serial order: every device, or only the
// pending ones.
func (s *Store) Devices(ctx context.Context, pendingOnly bool) ([]Device, error) {
	q := `SELECT ` + deviceCols + ` FROM push_devices`
	if pendingOnly {
		q += ` WHERE allowed = 0`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY serial`)
	if err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, fmt.Errorf("pushstore: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Stamps returns serial's saved stamps by table (ATTLOG, OPERLOG, ...).
func (s *Store) Stamps(ctx context.Context, serial string) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT tbl, stamp FROM push_stamps WHERE serial = ?`, serial)
	if err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var t, v string
		if err := rows.Scan(&t, &v); err != nil {
			return nil, fmt.Errorf("pushstore: %w", err)
		}
		out[t] = v
	}
	return out, rows.Err()
}

// Enqueue queues a command for serial and returns its id. A body is one
// line: a line break would let a field (a user's name, say) add a command
// of its own to the device's poll.
func (s *Store) Enqueue(ctx context.Context, serial, body string) (int64, error) {
	if body == "" || strings.ContainsAny(body, "\r\n\x00") {
		return 0, fmt.Errorf("pushstore: a command must be one non-empty line")
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO push_commands (serial, body, created_at) VALUES (?, ?, ?)`, serial, body, s.ts())
	if err != nil {
		return 0, fmt.Errorf("pushstore: %w", err)
	}
	return res.LastInsertId()
}

// TakeCommands returns up to max queued commands for serial, oldest first,
// and marks them sent. A command sent but never answered stays "sent"; it is
// not resent, because a device may already have run it. expand (nil: none)
// rewrites a body as it is sent (the clock command gets the time of the
// poll); the row keeps the body sent, so a listing shows what the device got.
func (s *Store) TakeCommands(ctx context.Context, serial string, max int, expand func(string) string) ([]Command, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, body FROM push_commands WHERE serial = ? AND status = 'queued' ORDER BY id LIMIT ?`, serial, max)
	if err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	var out []Command
	for rows.Next() {
		var c Command
		if err := rows.Scan(&c.ID, &c.Body); err != nil {
			rows.Close()
			return nil, fmt.Errorf("pushstore: %w", err)
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	now := s.ts()
	for i, c := range out {
		if expand != nil {
			if b := expand(c.Body); b != "" && !strings.ContainsAny(b, "\r\n\x00") {
				out[i].Body, c.Body = b, b
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE push_commands SET status = 'sent', sent_at = ?, body = ? WHERE id = ?`, now, c.Body, c.ID); err != nil {
			return nil, fmt.Errorf("pushstore: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	return out, nil
}

// CommandResults records a device's answers. A result for an id that is not
// serial's command is ignored and counted in unknown, so one device cannot
// write another's results.
func (s *Store) CommandResults(ctx context.Context, serial string, rs []CommandResult) (unknown int, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("pushstore: %w", err)
	}
	defer tx.Rollback()
	now := s.ts()
	for _, r := range rs {
		res, err := tx.ExecContext(ctx, `UPDATE push_commands SET status = 'done', done_at = ?, return_code = ?, result = ? WHERE id = ? AND serial = ?`,
			now, r.Return, r.Cmd, r.ID, serial)
		if err != nil {
			return 0, fmt.Errorf("pushstore: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			unknown++
		}
	}
	return unknown, tx.Commit()
}

// CommandStatus is a queued command's state, for listing and tests.
type CommandStatus struct {
	ID         int64
	Serial     string
	Body       string
	Status     string // queued, sent, done
	ReturnCode sql.NullInt64
	Result     string
}

// Commands lists serial's commands, oldest first.
func (s *Store) Commands(ctx context.Context, serial string) ([]CommandStatus, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, serial, body, status, return_code, result FROM push_commands WHERE serial = ? ORDER BY id`, serial)
	if err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	defer rows.Close()
	var out []CommandStatus
	for rows.Next() {
		var c CommandStatus
		if err := rows.Scan(&c.ID, &c.Serial, &c.Body, &c.Status, &c.ReturnCode, &c.Result); err != nil {
			return nil, fmt.Errorf("pushstore: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Received returns every stored punch of serial ("" for all devices) as
// "serial|pin|time|state", in id order; for tests and checks.
func (s *Store) Received(ctx context.Context, serial string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT serial, pin, time, state FROM received WHERE ? = '' OR serial = ? ORDER BY id`, serial, serial)
	if err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var sn, pin, t string
		var st int
		if err := rows.Scan(&sn, &pin, &t, &st); err != nil {
			return nil, fmt.Errorf("pushstore: %w", err)
		}
		out = append(out, fmt.Sprintf("%s|%s|%s|%d", sn, pin, t, st))
	}
	return out, rows.Err()
}

// Row is a stored punch as the import reads it.
type Row struct {
	ID       int64 // increasing in commit order: the import's watermark
	Serial   string
	TimeZone string // the device's, from the registry ("" for the default)
	Punch
}

// Since returns up to limit stored punches with an id above after, in id
// order. Ids only grow and a committed row never changes, so an import that
// saves the last id it committed reads each punch exactly once.
func (s *Store) Since(ctx context.Context, after int64, limit int) ([]Row, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.serial, COALESCE(d.timezone, ''), r.pin, r.time, r.state, r.verify, r.workcode, r.raw
FROM received r LEFT JOIN push_devices d ON d.serial = r.serial WHERE r.id > ? ORDER BY r.id LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.ID, &r.Serial, &r.TimeZone, &r.PIN, &r.Time, &r.State, &r.Verify, &r.WorkCode, &r.Raw); err != nil {
			return nil, fmt.Errorf("pushstore: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Ping checks the database answers, for the health endpoint.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("pushstore: %w", err)
	}
	return nil
}

// Disallow sets serial back to pending: its uploads are refused from now
// on, and what it sent before stays stored. ok is false for a serial the
// registry does not hold.
func (s *Store) Disallow(ctx context.Context, serial string) (ok bool, err error) {
	res, err := s.db.ExecContext(ctx, `UPDATE push_devices SET allowed = 0 WHERE serial = ?`, serial)
	if err != nil {
		return false, fmt.Errorf("pushstore: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Remove drops serial's registry row, its stamps and its queued commands
// (not its stored punches, which an import may still need). A removed
// device that calls again is pending, and uploads its whole log once more
// when approved; the store drops what it already holds.
func (s *Store) Remove(ctx context.Context, serial string) (ok bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("pushstore: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM push_devices WHERE serial = ?`, serial)
	if err != nil {
		return false, fmt.Errorf("pushstore: %w", err)
	}
	n, _ := res.RowsAffected()
	for _, q := range []string{`DELETE FROM push_stamps WHERE serial = ?`, `DELETE FROM push_commands WHERE serial = ? AND status = 'queued'`} {
		if _, err := tx.ExecContext(ctx, q, serial); err != nil {
			return false, fmt.Errorf("pushstore: %w", err)
		}
	}
	return n == 1, tx.Commit()
}

// DeviceUser is a user as hrsync last queued it for the pushing devices
// (push-users' iclock target compares the staff list with these).
type DeviceUser struct {
	EmployeeID string
	PIN        string
	Name       string
	Active     bool // false: deleted from the devices
}

// QueueUser queues body for every serial and records u as sent, in one
// transaction: the record of what devices were told never runs ahead of,
// or behind, the queue.
func (s *Store) QueueUser(ctx context.Context, u DeviceUser, serials []string, body string) error {
	if body == "" || strings.ContainsAny(body, "\r\n\x00") {
		return fmt.Errorf("pushstore: a command must be one non-empty line")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("pushstore: %w", err)
	}
	defer tx.Rollback()
	now := s.ts()
	for _, sn := range serials {
		if _, err := tx.ExecContext(ctx, `INSERT INTO push_commands (serial, body, created_at) VALUES (?, ?, ?)`, sn, body, now); err != nil {
			return fmt.Errorf("pushstore: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO push_users (employee_id, pin, name, active, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (employee_id) DO UPDATE SET pin = excluded.pin, name = excluded.name, active = excluded.active, updated_at = excluded.updated_at`,
		u.EmployeeID, u.PIN, u.Name, u.Active, now); err != nil {
		return fmt.Errorf("pushstore: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("pushstore: %w", err)
	}
	return nil
}

// Users lists the users as last queued, by employee id.
func (s *Store) Users(ctx context.Context) ([]DeviceUser, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT employee_id, pin, name, active FROM push_users ORDER BY employee_id`)
	if err != nil {
		return nil, fmt.Errorf("pushstore: %w", err)
	}
	defer rows.Close()
	var out []DeviceUser
	for rows.Next() {
		var u DeviceUser
		if err := rows.Scan(&u.EmployeeID, &u.PIN, &u.Name, &u.Active); err != nil {
			return nil, fmt.Errorf("pushstore: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
