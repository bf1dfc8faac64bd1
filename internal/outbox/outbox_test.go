package outbox

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func openDB(t testing.TB) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	// Migrate twice: it must be safe on every start.
	if err := Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db, path
}

// clock is a hand-moved time source.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// newClock starts in 2030, after the wall-clock creation time Enqueue gives
// events that carry none, so those are due.
func newClock() *clock                 { return &clock{time.Date(2030, 3, 1, 8, 0, 0, 0, time.UTC)} }
func (c *clock) opts(conc int) Options { return Options{Target: "hr", Now: c.Now, Concurrency: conc} }
func event(target, payload string) Event {
	return Event{Target: target, Kind: "punches", Payload: []byte(payload)}
}
func mustGet(t *testing.T, db *sql.DB, id int64) Event {
	t.Helper()
	e, err := Get(context.Background(), db, id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// target is an in-memory remote that dedupes by idempotency key, as a
// well-behaved API does, and answers with a scripted status.
type target struct {
	mu       sync.Mutex
	sends    map[string]int // tries per key
	stored   map[string]int // batches kept per key (dedupe: at most 1)
	status   func(e Event, try int) int
	err      func(e Event, try int) error
	inFlight atomic.Int32
	peak     atomic.Int32
}

func newTarget(status func(e Event, try int) int) *target {
	return &target{sends: map[string]int{}, stored: map[string]int{}, status: status}
}

func (s *target) Send(ctx context.Context, e Event) (int, string, error) {
	cur := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for p := s.peak.Load(); cur > p && !s.peak.CompareAndSwap(p, cur); p = s.peak.Load() {
	}
	time.Sleep(time.Millisecond) // let concurrent sends overlap
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends[e.IdempotencyKey]++
	try := s.sends[e.IdempotencyKey]
	if s.err != nil {
		if err := s.err(e, try); err != nil {
			return 0, "", err
		}
	}
	st := s.status(e, try)
	if st >= 200 && st < 300 && s.stored[e.IdempotencyKey] == 0 {
		s.stored[e.IdempotencyKey] = 1
	}
	return st, fmt.Sprintf("reply %d", st), nil
}

func always(status int) func(Event, int) int { return func(Event, int) int { return status } }

func TestEnqueueDeliverSucceeded(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	clk := newClock()
	ids, err := EnqueueAll(ctx, db, []Event{event("hr", "a"), event("hr", "b"), {Target: "hr", Kind: "punches", IdempotencyKey: "given", Payload: []byte("c"), RunID: 7}})
	if err != nil {
		t.Fatal(err)
	}
	e := mustGet(t, db, ids[0])
	if e.Status != Pending || e.IdempotencyKey != PayloadKey("punches", []byte("a")) || !e.WillRetry() {
		t.Fatalf("enqueued %+v", e)
	}
	if e := mustGet(t, db, ids[2]); e.IdempotencyKey != "given" || e.RunID != 7 {
		t.Fatalf("given key/run lost: %+v", e)
	}
	// The same batch again is the same event, not a second one.
	again, err := Enqueue(ctx, db, event("hr", "a"))
	if err != nil || again != ids[0] {
		t.Fatalf("re-enqueue gave id %d err %v, want %d", again, err, ids[0])
	}
	// Another target may get the same payload.
	if other, err := Enqueue(ctx, db, event("other", "a")); err != nil || other == ids[0] {
		t.Fatalf("other target: id %d err %v", other, err)
	}

	tgt := newTarget(always(201))
	sum, err := Deliver(ctx, db, tgt, clk.opts(2), ids...)
	if err != nil {
		t.Fatal(err)
	}
	if sum != (Summary{Due: 3, Succeeded: 3}) {
		t.Fatalf("summary %+v", sum)
	}
	for _, id := range ids {
		e := mustGet(t, db, id)
		if e.Status != Succeeded || e.Attempts != 1 || e.LastStatus != 201 || e.LastResponse != "reply 201" || e.WillRetry() {
			t.Fatalf("after delivery %+v", e)
		}
	}
	// The other target's event was not among ids.
	if pending, _ := List(ctx, db, Pending, 0); len(pending) != 1 || pending[0].Target != "other" {
		t.Fatalf("pending %+v", pending)
	}
	if sum, _ := Deliver(ctx, db, tgt, clk.opts(1), ids...); sum.Due != 0 {
		t.Fatalf("succeeded events delivered again: %+v", sum)
	}
}

func TestFailureFollowsScheduleThenWaitsForAPerson(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	clk := newClock()
	id, err := Enqueue(ctx, db, Event{Target: "hr", Kind: "punches", Payload: []byte("x"), CreatedAt: clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	tgt := newTarget(always(503))
	for i, wait := range DefaultSchedule {
		sum, err := Deliver(ctx, db, tgt, clk.opts(1))
		if err != nil {
			t.Fatal(err)
		}
		if sum != (Summary{Due: 1, Retrying: 1}) {
			t.Fatalf("try %d: summary %+v", i+1, sum)
		}
		e := mustGet(t, db, id)
		if e.Status != Failed || e.Attempts != i+1 || !e.NextAttempt.Equal(clk.Now().Add(wait)) || e.LastStatus != 503 {
			t.Fatalf("try %d: %+v, want next attempt +%v", i+1, e, wait)
		}
		// Not due a moment before the scheduled time.
		clk.Advance(wait - time.Second)
		if due, _ := Due(ctx, db, clk.Now()); len(due) != 0 {
			t.Fatalf("try %d: due %v early", i+1, wait)
		}
		clk.Advance(time.Second)
	}
	sum, err := Deliver(ctx, db, tgt, clk.opts(1))
	if err != nil || sum != (Summary{Due: 1, GaveUp: 1}) {
		t.Fatalf("last try: %+v %v", sum, err)
	}
	e := mustGet(t, db, id)
	if e.Status != Failed || e.Attempts != 5 || e.WillRetry() {
		t.Fatalf("after the schedule: %+v", e)
	}
	clk.Advance(365 * 24 * time.Hour)
	if sum, _ := Deliver(ctx, db, tgt, clk.opts(1)); sum.Due != 0 {
		t.Fatalf("given-up event retried: %+v", sum)
	}
	if n := tgt.sends[e.IdempotencyKey]; n != 5 {
		t.Fatalf("target saw %d tries, want 5", n)
	}

	// A person fixes the cause and requeues it.
	n, err := Requeue(ctx, db, clk.Now(), id)
	if err != nil || n != 1 {
		t.Fatalf("requeue: %d %v", n, err)
	}
	tgt.status = always(200)
	if sum, err := Deliver(ctx, db, tgt, clk.opts(1)); err != nil || sum.Succeeded != 1 {
		t.Fatalf("after requeue: %+v %v", sum, err)
	}
}

func TestOutcomeByStatus(t *testing.T) {
	tests := []struct {
		status    int
		err       error
		wantRetry bool
		wantOK    bool
	}{
		{200, nil, false, true},
		{204, nil, false, true},
		{302, nil, false, false},
		{400, nil, false, false},
		{401, nil, false, false},
		{403, nil, false, false},
		{404, nil, false, false},
		{409, nil, false, false},
		{413, nil, false, false},
		{422, nil, false, false},
		{408, nil, true, false},
		{429, nil, true, false},
		{500, nil, true, false},
		{502, nil, true, false},
		{503, nil, true, false},
		{0, errors.New("connection refused"), true, false},
		{0, context.DeadlineExceeded, true, false},
		{0, &PermanentError{errors.New("payload too large for any target")}, false, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, tt.err), func(t *testing.T) {
			ctx := context.Background()
			db, _ := openDB(t)
			clk := newClock()
			id, err := Enqueue(ctx, db, event("hr", "p"))
			if err != nil {
				t.Fatal(err)
			}
			tgt := newTarget(always(tt.status))
			tgt.err = func(Event, int) error { return tt.err }
			sum, err := Deliver(ctx, db, tgt, clk.opts(1))
			if err != nil {
				t.Fatal(err)
			}
			e := mustGet(t, db, id)
			switch {
			case tt.wantOK:
				if e.Status != Succeeded || sum.Succeeded != 1 {
					t.Fatalf("%+v %+v", sum, e)
				}
			case tt.wantRetry:
				if e.Status != Failed || !e.WillRetry() || sum.Retrying != 1 {
					t.Fatalf("%+v %+v", sum, e)
				}
			default:
				if e.Status != Failed || e.WillRetry() || sum.GaveUp != 1 || e.Attempts != 1 {
					t.Fatalf("%+v %+v", sum, e)
				}
			}
			if tt.err != nil && !strings.Contains(e.LastResponse, tt.err.Error()) {
				t.Fatalf("last response %q does not say %q", e.LastResponse, tt.err)
			}
		})
	}
}

func TestMarkProcessed(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	clk := newClock()
	ids, _ := EnqueueAll(ctx, db, []Event{event("hr", "bad"), event("hr", "good")})
	tgt := newTarget(func(e Event, _ int) int {
		if string(e.Payload) == "bad" {
			return 422
		}
		return 200
	})
	if _, err := Deliver(ctx, db, tgt, clk.opts(1)); err != nil {
		t.Fatal(err)
	}
	if err := MarkProcessed(ctx, db, ids[0], "  ", clk.Now()); err == nil {
		t.Fatal("processed without a note")
	}
	if err := MarkProcessed(ctx, db, ids[1], "sent by hand", clk.Now()); err == nil || !strings.Contains(err.Error(), "already succeeded") {
		t.Fatalf("succeeded event: %v", err)
	}
	if err := MarkProcessed(ctx, db, 999, "x", clk.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := MarkProcessed(ctx, db, ids[0], "entered by hand in the HR UI, ticket 4711", clk.Now()); err != nil {
		t.Fatal(err)
	}
	e := mustGet(t, db, ids[0])
	if e.Status != Processed || e.Note != "entered by hand in the HR UI, ticket 4711" || e.WillRetry() || e.LastStatus != 422 {
		t.Fatalf("%+v", e)
	}
	if failed, _ := List(ctx, db, Failed, 0); len(failed) != 0 {
		t.Fatalf("still failed: %+v", failed)
	}
	if _, err := List(ctx, db, "done", 0); err == nil {
		t.Fatal("unknown status listed")
	}
	if all, _ := List(ctx, db, "", 1); len(all) != 1 || all[0].ID != ids[1] {
		t.Fatalf("list newest first with limit: %+v", all)
	}
}

func TestPrune(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	clk := newClock()
	old := clk.Now()
	ids, _ := EnqueueAll(ctx, db, []Event{
		{Target: "hr", Payload: []byte("ok-old"), CreatedAt: old},
		{Target: "hr", Payload: []byte("processed-old"), CreatedAt: old},
		{Target: "hr", Payload: []byte("failed-old"), CreatedAt: old},
		{Target: "hr", Payload: []byte("pending-old"), CreatedAt: old, NextAttempt: old.Add(1000 * time.Hour)},
	})
	MarkSucceeded(ctx, db, ids[0], 200, "", old)
	MarkProcessed(ctx, db, ids[1], "done by hand", old)
	MarkFailed(ctx, db, ids[2], 400, "", true, old, DefaultSchedule)
	clk.Advance(40 * 24 * time.Hour)
	recent, _ := Enqueue(ctx, db, Event{Target: "hr", Payload: []byte("ok-new"), CreatedAt: clk.Now()})
	MarkSucceeded(ctx, db, recent, 200, "", clk.Now())

	n, err := Prune(ctx, db, clk.Now().Add(-30*24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, err %v; want 2", n, err)
	}
	for _, id := range ids[:2] {
		if _, err := Get(ctx, db, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("event %d survived pruning: %v", id, err)
		}
	}
	for _, id := range []int64{ids[2], ids[3], recent} {
		mustGet(t, db, id)
	}
}

// A crash after the target accepted a batch but before it was marked
// succeeded: the next run sends it again under the same key and the
// target, deduping, keeps one copy.
func TestCrashBetweenSendAndMarkResendsSameKey(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	clk := newClock()
	ids, _ := EnqueueAll(ctx, db, []Event{event("hr", "one"), event("hr", "two"), event("hr", "three")})

	tgt := newTarget(always(200))
	// The target stores the batch, then the process "dies" before
	// recording it: the sender returns the context error a killed run sees.
	tgt.err = func(e Event, try int) error {
		if try == 1 && string(e.Payload) == "two" {
			tgt.stored[e.IdempotencyKey] = 1
			return fmt.Errorf("post: %w", context.Canceled)
		}
		return nil
	}
	sum, err := Deliver(ctx, db, tgt, clk.opts(1))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Interrupted != 1 || sum.Succeeded != 2 {
		t.Fatalf("first run %+v", sum)
	}
	two := mustGet(t, db, ids[1])
	if two.Status != Pending || two.Attempts != 0 {
		t.Fatalf("interrupted event %+v, want untouched pending", two)
	}

	sum, err = Deliver(ctx, db, tgt, clk.opts(1))
	if err != nil || sum != (Summary{Due: 1, Succeeded: 1}) {
		t.Fatalf("second run %+v %v", sum, err)
	}
	if tgt.sends[two.IdempotencyKey] != 2 || tgt.stored[two.IdempotencyKey] != 1 {
		t.Fatalf("key %s: %d sends, %d stored; want 2 sends, 1 stored", two.IdempotencyKey, tgt.sends[two.IdempotencyKey], tgt.stored[two.IdempotencyKey])
	}
}

func TestDeliverStopsOnCancelAndLeavesRestDue(t *testing.T) {
	db, _ := openDB(t)
	clk := newClock()
	var events []Event
	for i := range 20 {
		events = append(events, event("hr", fmt.Sprint(i)))
	}
	EnqueueAll(context.Background(), db, events)
	ctx, cancel := context.WithCancel(context.Background())
	tgt := newTarget(always(200))
	var sent atomic.Int32
	tgt.err = func(Event, int) error {
		if sent.Add(1) == 5 {
			cancel() // Ctrl-C / service stop during the run
			return context.Canceled
		}
		return nil
	}
	sum, err := Deliver(ctx, db, tgt, clk.opts(2))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	due, _ := Due(context.Background(), db, clk.Now())
	succeeded, _ := List(context.Background(), db, Succeeded, 0)
	// Every event the target got is recorded (else the next run sends it
	// again), and every other one is still due.
	if len(tgt.stored) != len(succeeded) || sum.Succeeded != len(succeeded) || len(succeeded)+len(due) != 20 || sum.Interrupted < 1 {
		t.Fatalf("summary %+v: target has %d, %d recorded succeeded, %d still due; want every event either recorded succeeded or still due",
			sum, len(tgt.stored), len(succeeded), len(due))
	}
}

func TestDeliverConcurrency(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	clk := newClock()
	var events []Event
	for i := range 60 {
		events = append(events, event("hr", fmt.Sprint(i)))
	}
	if _, err := EnqueueAll(ctx, db, events); err != nil {
		t.Fatal(err)
	}
	tgt := newTarget(always(200))
	sum, err := Deliver(ctx, db, tgt, clk.opts(4))
	if err != nil || sum.Succeeded != 60 {
		t.Fatalf("%+v %v", sum, err)
	}
	if p := tgt.peak.Load(); p > 4 {
		t.Fatalf("%d sends at once, cap 4", p)
	}
	t.Logf("peak concurrent sends: %d", tgt.peak.Load())
}

func TestDeliverSendsOnlyItsTarget(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	clk := newClock()
	ids, _ := EnqueueAll(ctx, db, []Event{event("hr", "a"), event("scim", "b"), event("hr", "c")})
	if _, err := Deliver(ctx, db, newTarget(always(200)), Options{Now: clk.Now}); err == nil || !strings.Contains(err.Error(), "no target") {
		t.Fatalf("deliver without a target: %v", err)
	}
	sum, err := Deliver(ctx, db, newTarget(always(200)), clk.opts(2))
	if err != nil || sum != (Summary{Due: 2, Succeeded: 2}) {
		t.Fatalf("%+v %v", sum, err)
	}
	// Naming another target's event does not send it either.
	if sum, _ := Deliver(ctx, db, newTarget(always(200)), clk.opts(1), ids[1]); sum.Due != 0 {
		t.Fatalf("scim event sent to hr: %+v", sum)
	}
	if e := mustGet(t, db, ids[1]); e.Status != Pending {
		t.Fatalf("scim event %+v", e)
	}
}

func TestErrorsNameTheEvent(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	if _, err := Get(ctx, db, 42); err == nil || !strings.Contains(err.Error(), "event 42") {
		t.Fatalf("get: %v", err)
	}
	if err := MarkSucceeded(ctx, db, 42, 200, "", time.Now()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mark: %v", err)
	}
	if _, err := MarkFailed(ctx, db, 42, 500, "", false, time.Now(), nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("mark failed: %v", err)
	}
	if _, err := Enqueue(ctx, db, Event{Kind: "punches"}); err == nil || !strings.Contains(err.Error(), "no target") {
		t.Fatalf("enqueue: %v", err)
	}
}

// A year of daily runs, 1,000 events a day, succeeded events kept 30 days.
func TestRetentionOverAYear(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of daily runs: skipped in -short")
	}
	ctx := context.Background()
	db, path := openDB(t)
	clk := newClock()
	const perDay, keepDays = 1000, 30
	payload := []byte(strings.Repeat(`{"employee_id":"E0001","time":"2026-03-01T08:00:00Z","direction":"in"},`, 5)) // ~370 bytes
	var firstDayIDs []int64
	for day := range 365 {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range perDay {
			id, err := Enqueue(ctx, tx, Event{Target: "hr", Kind: "punches", IdempotencyKey: fmt.Sprintf("d%d-%d", day, i), Payload: payload, CreatedAt: clk.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if day == 0 {
				firstDayIDs = append(firstDayIDs, id)
			}
		}
		// The day's deliveries all went through.
		if _, err := tx.ExecContext(ctx, `UPDATE outbox_events SET status = 'succeeded', attempts = 1, next_attempt = NULL, last_status = 200, updated_at = ? WHERE status = 'pending'`, fmtTime(clk.Now())); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if _, err := Prune(ctx, db, clk.Now().Add(-keepDays*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(24 * time.Hour)
	}
	var rows int
	db.QueryRowContext(ctx, `SELECT count(*) FROM outbox_events`).Scan(&rows)
	if rows > (keepDays+1)*perDay {
		t.Fatalf("%d rows kept, want at most %d", rows, (keepDays+1)*perDay)
	}
	for _, id := range firstDayIDs[:10] {
		if _, err := Get(ctx, db, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("day-one event %d not pruned: %v", id, err)
		}
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after 365 days × %d events (%d-byte payloads), %d-day retention: %d rows, state file %.1f MB",
		perDay, len(payload), keepDays, rows, float64(st.Size())/1e6)
}

func TestPeekLeavesPayloadsOut(t *testing.T) {
	ctx := context.Background()
	db, _ := openDB(t)
	ids, err := EnqueueAll(ctx, db, []Event{event("hr", "one"), event("hr", "two")})
	if err != nil {
		t.Fatal(err)
	}
	if err := MarkSucceeded(ctx, db, ids[1], 201, "ok", time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := Peek(ctx, db, ids[0], ids[1], 999)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[ids[0]].Status != Pending || got[ids[1]].Status != Succeeded || got[ids[1]].LastStatus != 201 {
		t.Fatalf("Peek = %+v", got)
	}
	if got[ids[0]].Payload != nil || got[ids[0]].IdempotencyKey == "" {
		t.Errorf("Peek loaded the payload or lost the key: %+v", got[ids[0]])
	}
}
