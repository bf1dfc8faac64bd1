package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/importer/runlock"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/mapping"
)

func testConfig(t *testing.T, extra string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no\nE1,1\n"), 0o644)
	cfg, err := config.Parse(filepath.Join(dir, "hrsync.yaml"), []byte(`
hr:
  url: https://hr.example.com/api/punches
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
`+extra))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestStateStaysSmallOverAYear runs a year of daily sessions, each recording
// a run and delivering a day's batches, with the default retention pruning
// at the end of each: the state file stops growing once the retention
// windows are full.
func TestStateStaysSmallOverAYear(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of daily runs: skipped in -short")
	}
	ctx := context.Background()
	cfg := testConfig(t, "retention: { runs: 90d, events: 30d }\n")
	sess, err := OpenState(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	payload := []byte(strings.Repeat(`{"employee_id":"E0001","time":"2026-03-01T08:00:00Z","direction":"in","device_id":"G1"},`, 200)) // ~18 KB
	day0 := time.Date(2026, 1, 1, 6, 30, 0, 0, time.UTC)
	size := func() int64 {
		var n int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(sess.State.Path + suffix); err == nil {
				n += fi.Size()
			}
		}
		return n
	}
	var sizeAt100 int64
	for day := range 365 {
		now := day0.AddDate(0, 0, day)
		id, err := sess.State.StartRun(ctx, state.Run{Command: "import", Args: "hrsync import --config x", StartedAt: now, ReportPath: "r.csv"})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			e := outbox.Event{Target: "hr", Kind: "punches", IdempotencyKey: fmt.Sprintf("%d-%d", day, i), Payload: payload, CreatedAt: now, RunID: id}
			eid, err := outbox.Enqueue(ctx, sess.State.DB, e)
			if err != nil {
				t.Fatal(err)
			}
			if err := outbox.MarkSucceeded(ctx, sess.State.DB, eid, 200, "ok", now); err != nil {
				t.Fatal(err)
			}
		}
		if err := sess.State.FinishRun(ctx, id, now.Add(time.Minute), 0, map[string]int64{"imported": 10000}, "r.csv", ""); err != nil {
			t.Fatal(err)
		}
		if err := sess.Prune(ctx, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if day == 100 {
			sizeAt100 = size()
		}
	}
	runs, _ := sess.State.Runs(ctx, 1000)
	events, _ := outbox.List(ctx, sess.State.DB, "", 0)
	final := size()
	t.Logf("after 365 days: %d runs, %d events kept, state file %d KB (day 100: %d KB)", len(runs), len(events), final>>10, sizeAt100>>10)
	if len(runs) < 90 || len(runs) > 92 {
		t.Errorf("%d runs kept, want the last 90 days' (about 91)", len(runs))
	}
	if len(events) < 300 || len(events) > 320 {
		t.Errorf("%d events kept, want the last 30 days' (about 310)", len(events))
	}
	if final > sizeAt100*5/4 {
		t.Errorf("state file grew from %d KB at day 100 to %d KB at day 365", sizeAt100>>10, final>>10)
	}
}

func TestEventOutcome(t *testing.T) {
	next := time.Date(2026, 3, 1, 8, 5, 0, 0, time.UTC)
	tests := []struct {
		name          string
		before, after outbox.Event
		want          mapping.Code
		reason        string
	}{
		{"sent now", outbox.Event{Status: outbox.Pending}, outbox.Event{ID: 7, Status: outbox.Succeeded}, mapping.Imported, ""},
		{"sent by an earlier run", outbox.Event{Status: outbox.Succeeded}, outbox.Event{ID: 7, Status: outbox.Succeeded}, mapping.Duplicate, "already delivered in event 7"},
		{"closed by hand", outbox.Event{Status: outbox.Processed}, outbox.Event{ID: 7, Status: outbox.Processed, Note: "typed in"}, mapping.Duplicate, "marked processed: typed in"},
		{"target down", outbox.Event{Status: outbox.Pending}, outbox.Event{ID: 7, Status: outbox.Failed, LastStatus: 503, LastResponse: "busy", NextAttempt: next}, mapping.Queued, "HTTP 503 busy"},
		{"refused", outbox.Event{Status: outbox.Pending}, outbox.Event{ID: 7, Status: outbox.Failed, LastStatus: 422, LastResponse: "bad"}, mapping.Queued, "failed for good"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eventOutcome(tt.before, tt.after)
			if got.Code != tt.want || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("got %s %q, want %s containing %q", got.Code, got.Reason, tt.want, tt.reason)
			}
		})
	}
}

func TestQueuedRowsExitFour(t *testing.T) {
	tests := []struct {
		counts report.Counts
		want   exitcode.Code
	}{
		{report.Counts{mapping.Imported: 5}, exitcode.OK},
		{report.Counts{mapping.Imported: 5, mapping.Queued: 1}, exitcode.Queued},
		{report.Counts{mapping.Queued: 1, mapping.Unmapped: 1}, exitcode.Rejected},
	}
	for _, tt := range tests {
		r := Result{Counts: tt.counts}
		if got := exitcode.For(r.Outcome()); got != tt.want {
			t.Errorf("%v: exit %d, want %d", tt.counts, got, tt.want)
		}
	}
}

// TestSendNothingRunWaitsAndSendsNothing: closing an event by hand takes
// the run lock (so no run is sending the event meanwhile) and, unlike other
// runs, sends nothing on opening.
func TestSendNothingRunWaitsAndSendsNothing(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t, "lock_wait: 200ms\n")
	sink, err := NewHTTPSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	read, err := OpenState(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := outbox.Enqueue(ctx, read.State.DB, outbox.Event{Target: sink.Target(), Kind: "punches", IdempotencyKey: "k", Payload: []byte("[]")})
	if err != nil {
		t.Fatal(err)
	}
	read.Close()

	held, err := runlock.Acquire(ctx, filepath.Join(cfg.Resolve(cfg.DataDir), "hrsync.lock"), 0)
	if err != nil {
		t.Fatal(err)
	}
	spec := RunSpec{Command: "mark-processed", SendNothing: true}
	if _, err := BeginRun(ctx, cfg, spec); !errors.Is(err, runlock.ErrBusy) {
		t.Fatalf("while a run holds the lock: %v, want ErrBusy", err)
	}
	held.Release()
	run, err := BeginRun(ctx, cfg, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer run.End(ctx, nil, nil)
	if e, err := outbox.Get(ctx, run.State.DB, id); err != nil || e.Attempts != 0 || e.Status != outbox.Pending {
		t.Fatalf("event after a send-nothing run began: %+v %v; want untouched (pending, no attempt)", e, err)
	}
}
