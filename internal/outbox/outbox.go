// Package outbox is the durable queue of batches bound for remote targets,
// kept in the run-state SQLite database.
//
// The contract: a batch is enqueued (and committed) before anything is
// sent, so a crash never loses it. A crash after a target accepted a batch
// but before it was marked succeeded makes the next run send it again with
// the same idempotency key; targets that honour the key keep one copy.
//
// An event's life:
//
//	pending ──send ok──▶ succeeded ──Prune──▶ (gone)
//	   │
//	   └─send failed──▶ failed, NextAttempt set   (retried when due: +5m, +15m, +1h, +24h)
//	                    failed, NextAttempt zero  (given up: a person looks; Requeue or MarkProcessed)
//	                    processed                 (a person dealt with it; Note says how)
package outbox

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/hrsync/hrsync/internal/httpx"
	"strings"
	"time"
)

// Statuses of an event.
const (
	Pending   = "pending"
	Succeeded = "succeeded"
	Failed    = "failed"
	Processed = "processed"
)

// DefaultSchedule is the wait after the 1st, 2nd, 3rd and 4th failed try.
// After the 5th failure the event stays failed until a person acts.
var DefaultSchedule = []time.Duration{5 * time.Minute, 15 * time.Minute, time.Hour, 24 * time.Hour}

// Event is one batch bound for one target.
type Event struct {
	ID     int64
	Target string // the configured target name, e.g. "hr-api"
	Kind   string // what the payload holds, e.g. "punches"
	// IdempotencyKey is sent with every try. Unique per target; Enqueue
	// derives it from the payload when left empty.
	IdempotencyKey string
	Payload        []byte
	ContentType    string
	Status         string
	Attempts       int
	// NextAttempt is when a pending or failed event is next due; zero for
	// one that will not be retried automatically.
	NextAttempt  time.Time
	LastStatus   int    // HTTP status of the last try, 0 if none came back
	LastResponse string // the last reply (or error), cut to MaxResponse
	Note         string
	RunID        int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// WillRetry reports whether Deliver will try the event again on its own.
func (e *Event) WillRetry() bool {
	return (e.Status == Pending || e.Status == Failed) && !e.NextAttempt.IsZero()
}

// MaxResponse bounds the stored reply text.
const MaxResponse = 4000

// Querier is what the outbox needs of a database handle: *sql.DB, or a
// *sql.Tx to enqueue inside the caller's transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const schema = `
CREATE TABLE IF NOT EXISTS outbox_events (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	target          TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	idempotency_key TEXT    NOT NULL,
	payload         BLOB    NOT NULL,
	content_type    TEXT    NOT NULL DEFAULT '',
	status          TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'processed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt    TEXT,
	last_status     INTEGER NOT NULL DEFAULT 0,
	last_response   TEXT    NOT NULL DEFAULT '',
	note            TEXT    NOT NULL DEFAULT '',
	run_id          INTEGER NOT NULL DEFAULT 0,
	created_at      TEXT    NOT NULL,
	updated_at      TEXT    NOT NULL,
	UNIQUE (target, idempotency_key)
);
CREATE INDEX IF NOT EXISTS outbox_events_due ON outbox_events (next_attempt) WHERE next_attempt IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_events_status ON outbox_events (status, updated_at);
CREATE INDEX IF NOT EXISTS outbox_events_status_id ON outbox_events (status, id);
CREATE TABLE IF NOT EXISTS outbox_replies (
	event_id INTEGER NOT NULL,
	at       TEXT    NOT NULL,
	status   INTEGER NOT NULL DEFAULT 0,
	response TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_replies_event ON outbox_replies (event_id, at);
`

// Migrate creates the outbox tables if they are missing.
func Migrate(ctx context.Context, db Querier) error {
	if _, err := db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("outbox: migrate: %w", err)
	}
	return nil
}

// Times are stored as fixed-width UTC text: readable in the sqlite3 shell
// and ordered as strings compare.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func fmtNullTime(t time.Time) sql.NullString {
	if t.IsZero() {
		return sql.NullString{}
	}
	return sql.NullString{String: fmtTime(t), Valid: true}
}

// PayloadKey is the key Enqueue gives an event that has none: the SHA-256
// of kind and payload, so the same batch always gets the same key.
func PayloadKey(kind string, payload []byte) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write(payload)
	return hex.EncodeToString(h.Sum(nil))
}

// Enqueue stores e as pending, due at once (or at e.NextAttempt when set),
// and returns its id. When the target already holds an event with the same
// idempotency key, that event's id is returned and nothing changes: the
// same batch is never queued twice. Enqueue returns only after the row is
// committed (or, given a *sql.Tx, is part of the caller's transaction).
func Enqueue(ctx context.Context, db Querier, e Event) (int64, error) {
	if e.Target == "" {
		return 0, errors.New("outbox: enqueue: event has no target")
	}
	if e.Payload == nil {
		e.Payload = []byte{}
	}
	if e.IdempotencyKey == "" {
		e.IdempotencyKey = PayloadKey(e.Kind, e.Payload)
	}
	now := e.CreatedAt
	if now.IsZero() {
		now = time.Now()
	}
	due := e.NextAttempt
	if due.IsZero() {
		due = now
	}
	var id int64
	err := db.QueryRowContext(ctx, `
		INSERT INTO outbox_events (target, kind, idempotency_key, payload, content_type, status, next_attempt, run_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
		ON CONFLICT (target, idempotency_key) DO NOTHING
		RETURNING id`,
		e.Target, e.Kind, e.IdempotencyKey, e.Payload, e.ContentType, fmtTime(due), e.RunID, fmtTime(now), fmtTime(now),
	).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = db.QueryRowContext(ctx, `SELECT id FROM outbox_events WHERE target = ? AND idempotency_key = ?`,
			e.Target, e.IdempotencyKey).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue %s %s: %w", e.Target, e.Kind, err)
	}
	return id, nil
}

// EnqueueAll stores events in one transaction: all of them or none.
func EnqueueAll(ctx context.Context, db *sql.DB, events []Event) ([]int64, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("outbox: enqueue: %w", err)
	}
	defer tx.Rollback()
	ids := make([]int64, 0, len(events))
	for _, e := range events {
		id, err := Enqueue(ctx, tx, e)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("outbox: enqueue: commit: %w", err)
	}
	return ids, nil
}

const columns = `id, target, kind, idempotency_key, payload, content_type, status, attempts,
	next_attempt, last_status, last_response, note, run_id, created_at, updated_at`

func scanEvent(s interface{ Scan(...any) error }) (Event, error) {
	var (
		e                Event
		next             sql.NullString
		created, updated string
	)
	err := s.Scan(&e.ID, &e.Target, &e.Kind, &e.IdempotencyKey, &e.Payload, &e.ContentType, &e.Status, &e.Attempts,
		&next, &e.LastStatus, &e.LastResponse, &e.Note, &e.RunID, &created, &updated)
	if err != nil {
		return e, err
	}
	if next.Valid {
		if e.NextAttempt, err = time.Parse(timeLayout, next.String); err != nil {
			return e, fmt.Errorf("event %d: next_attempt: %w", e.ID, err)
		}
	}
	if e.CreatedAt, err = time.Parse(timeLayout, created); err != nil {
		return e, fmt.Errorf("event %d: created_at: %w", e.ID, err)
	}
	if e.UpdatedAt, err = time.Parse(timeLayout, updated); err != nil {
		return e, fmt.Errorf("event %d: updated_at: %w", e.ID, err)
	}
	return e, nil
}

func query(ctx context.Context, db Querier, where string, args ...any) ([]Event, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+columns+` FROM outbox_events `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// dueWhere selects events Deliver should try now: pending or failed with
// a next attempt that has come.
const dueWhere = `WHERE next_attempt IS NOT NULL AND next_attempt <= ? AND status IN ('pending', 'failed')`

// idFilter narrows a query to ids, when any are given.
func idFilter(args []any, ids []int64) (string, []any) {
	if len(ids) == 0 {
		return "", args
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	for _, id := range ids {
		args = append(args, id)
	}
	return " AND id IN (" + marks + ")", args
}

// Due returns the events due at now, oldest first, restricted to ids when
// any are given.
func Due(ctx context.Context, db Querier, now time.Time, ids ...int64) ([]Event, error) {
	filter, args := idFilter([]any{fmtTime(now)}, ids)
	events, err := query(ctx, db, dueWhere+filter+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: due: %w", err)
	}
	return events, nil
}

// dueIDs is Due without the payloads, so Deliver holds one batch in memory
// per request in flight, not the whole queue.
func dueIDs(ctx context.Context, db Querier, target string, now time.Time, ids []int64) ([]int64, error) {
	filter, args := idFilter([]any{fmtTime(now), target}, ids)
	rows, err := db.QueryContext(ctx, `SELECT id FROM outbox_events `+dueWhere+` AND target = ?`+filter+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: due: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("outbox: due: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: due: %w", err)
	}
	return out, nil
}

// List returns events with the given status ("" for all), newest first, at
// most limit of them (0 for no limit).
func List(ctx context.Context, db Querier, status string, limit int) ([]Event, error) {
	where, args := "WHERE 1 = 1", []any{}
	if status != "" {
		if !validStatus(status) {
			return nil, fmt.Errorf("outbox: list: unknown status %q (want pending, succeeded, failed or processed)", status)
		}
		where, args = "WHERE status = ?", append(args, status)
	}
	where += " ORDER BY id DESC"
	if limit > 0 {
		where, args = where+" LIMIT ?", append(args, limit)
	}
	events, err := query(ctx, db, where, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	return events, nil
}

func validStatus(s string) bool {
	switch s {
	case Pending, Succeeded, Failed, Processed:
		return true
	}
	return false
}

// ErrNotFound is returned for an id the outbox does not hold.
var ErrNotFound = errors.New("outbox: no such event")

// Get returns one event.
func Get(ctx context.Context, db Querier, id int64) (Event, error) {
	e, err := scanEvent(db.QueryRowContext(ctx, `SELECT `+columns+` FROM outbox_events WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, fmt.Errorf("event %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return e, fmt.Errorf("outbox: get event %d: %w", id, err)
	}
	return e, nil
}

func update(ctx context.Context, db Querier, id int64, what, set string, args ...any) error {
	res, err := db.ExecContext(ctx, `UPDATE outbox_events SET `+set+` WHERE id = ?`, append(args, id)...)
	if err != nil {
		return fmt.Errorf("outbox: %s event %d: %w", what, id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("outbox: %s event %d: %w", what, id, ErrNotFound)
	}
	return nil
}

// clip cuts s to MaxResponse bytes on a character boundary.
func clip(s string) string { return httpx.Clip(s, MaxResponse) }

// MarkSucceeded records a try the target accepted.
func MarkSucceeded(ctx context.Context, db Querier, id int64, status int, response string, now time.Time) error {
	if err := addReply(ctx, db, id, status, response, now); err != nil {
		return err
	}
	return update(ctx, db, id, "mark succeeded",
		`status = 'succeeded', attempts = attempts + 1, next_attempt = NULL, last_status = ?, last_response = ?, updated_at = ?`,
		status, clip(response), fmtTime(now))
}

// MarkFailed records a failed try. The event is due again after
// schedule[attempts-1]; once the schedule is used up, or when permanent is
// set (a reply that another try will not change), it waits for a person.
// It returns whether the event will be retried.
func MarkFailed(ctx context.Context, db Querier, id int64, status int, response string, permanent bool, now time.Time, schedule []time.Duration) (bool, error) {
	var attempts int
	if err := db.QueryRowContext(ctx, `SELECT attempts FROM outbox_events WHERE id = ?`, id).Scan(&attempts); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return false, fmt.Errorf("outbox: mark failed event %d: %w", id, ErrNotFound)
		}
		return false, fmt.Errorf("outbox: mark failed event %d: %w", id, err)
	}
	attempts++
	if err := addReply(ctx, db, id, status, response, now); err != nil {
		return false, err
	}
	var next time.Time
	if !permanent && attempts <= len(schedule) {
		next = now.Add(schedule[attempts-1])
	}
	err := update(ctx, db, id, "mark failed",
		`status = 'failed', attempts = ?, next_attempt = ?, last_status = ?, last_response = ?, updated_at = ?`,
		attempts, fmtNullTime(next), status, clip(response), fmtTime(now))
	return !next.IsZero(), err
}

// MarkProcessed closes an event by hand: a person sent it another way or
// decided it must not go. note says which; it is required.
func MarkProcessed(ctx context.Context, db Querier, id int64, note string, now time.Time) error {
	if strings.TrimSpace(note) == "" {
		return fmt.Errorf("outbox: mark processed event %d: a note saying what was done is required", id)
	}
	e, err := Get(ctx, db, id)
	if err != nil {
		return err
	}
	if e.Status == Succeeded {
		return fmt.Errorf("outbox: mark processed event %d: it already succeeded", id)
	}
	return update(ctx, db, id, "mark processed",
		`status = 'processed', next_attempt = NULL, note = ?, updated_at = ?`, note, fmtTime(now))
}

// Requeue makes failed events due again at now (support's "try again",
// after fixing what made them fail). Attempts restart so the full schedule
// applies again. It returns how many events were requeued.
func Requeue(ctx context.Context, db Querier, now time.Time, ids ...int64) (int, error) {
	if len(ids) == 0 {
		return 0, errors.New("outbox: requeue: name the events to requeue")
	}
	filter, args := idFilter([]any{fmtTime(now), fmtTime(now)}, ids)
	res, err := db.ExecContext(ctx, `UPDATE outbox_events SET status = 'pending', attempts = 0, next_attempt = ?, updated_at = ?
		WHERE status = 'failed'`+filter, args...)
	if err != nil {
		return 0, fmt.Errorf("outbox: requeue: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Prune deletes succeeded and processed events last updated before
// olderThan and returns how many went. Pending and failed events are never
// pruned. SQLite reuses the freed pages; the file does not shrink unless
// the database is vacuumed.
func Prune(ctx context.Context, db Querier, olderThan time.Time) (int, error) {
	if _, err := db.ExecContext(ctx, `DELETE FROM outbox_replies WHERE event_id IN (SELECT id FROM outbox_events
		WHERE status IN ('succeeded', 'processed') AND updated_at < ?)`, fmtTime(olderThan)); err != nil {
		return 0, fmt.Errorf("outbox: prune: %w", err)
	}
	res, err := db.ExecContext(ctx, `DELETE FROM outbox_events WHERE status IN ('succeeded', 'processed') AND updated_at < ?`, fmtTime(olderThan))
	if err != nil {
		return 0, fmt.Errorf("outbox: prune: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Peek returns the events with these ids without their payloads (Payload
// is nil), keyed by id: a cheap look at their status. Ids the outbox does
// not hold are missing from the map.
func Peek(ctx context.Context, db Querier, ids ...int64) (map[int64]Event, error) {
	out := make(map[int64]Event, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	filter, args := idFilter(nil, ids)
	cols := strings.Replace(columns, "payload,", "NULL,", 1)
	rows, err := db.QueryContext(ctx, `SELECT `+cols+` FROM outbox_events WHERE 1 = 1`+filter, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: peek: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("outbox: peek: %w", err)
		}
		out[e.ID] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: peek: %w", err)
	}
	return out, nil
}

// Reply is one answer of the target (or the error of a try that got none).
type Reply struct {
	At       time.Time
	Status   int
	Response string
}

// addReply keeps every try's reply, not only the last: support reads the
// whole story of an event.
func addReply(ctx context.Context, db Querier, id int64, status int, response string, now time.Time) error {
	if _, err := db.ExecContext(ctx, `INSERT INTO outbox_replies (event_id, at, status, response) VALUES (?, ?, ?, ?)`,
		id, fmtTime(now), status, clip(response)); err != nil {
		return fmt.Errorf("outbox: event %d: record reply: %w", id, err)
	}
	return nil
}

// Replies returns every reply recorded for an event, oldest first.
func Replies(ctx context.Context, db Querier, id int64) ([]Reply, error) {
	rows, err := db.QueryContext(ctx, `SELECT at, status, response FROM outbox_replies WHERE event_id = ? ORDER BY at, rowid`, id)
	if err != nil {
		return nil, fmt.Errorf("outbox: replies of event %d: %w", id, err)
	}
	defer rows.Close()
	var out []Reply
	for rows.Next() {
		var r Reply
		var at string
		if err := rows.Scan(&at, &r.Status, &r.Response); err != nil {
			return nil, fmt.Errorf("outbox: replies of event %d: %w", id, err)
		}
		r.At, _ = time.Parse(timeLayout, at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Page lists events without their payloads (Payload is nil), newest first:
// those with the status ("" for all) and an id below before (0: from the
// newest), at most limit. Keyset paging, so the thousandth page costs what
// the first does.
func Page(ctx context.Context, db Querier, status string, before int64, limit int) ([]Event, error) {
	if status != "" && !validStatus(status) {
		return nil, fmt.Errorf("outbox: list: unknown status %q (want pending, succeeded, failed or processed)", status)
	}
	where, args := "WHERE 1 = 1", []any{}
	if status != "" {
		where, args = where+" AND status = ?", append(args, status)
	}
	if before > 0 {
		where, args = where+" AND id < ?", append(args, before)
	}
	cols := strings.Replace(columns, "payload,", "NULL,", 1)
	rows, err := db.QueryContext(ctx, `SELECT `+cols+` FROM outbox_events `+where+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("outbox: list: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
