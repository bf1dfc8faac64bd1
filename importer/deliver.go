package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sinks/httpsink"
)

// NewHTTPSink builds the punch sink for hr.url when it is an HTTP API.
func NewHTTPSink(cfg *config.Config) (*httpsink.Sink, error) {
	h := cfg.HR.HTTP
	if h == nil {
		h = &config.HRHTTP{}
	}
	sc := httpsink.Config{
		Target: h.Target, URL: cfg.HR.URL, Method: h.Method, Format: h.Format, Fields: h.Fields,
		DirectionValues: h.DirectionValues, JSONRoot: h.JSONRoot, TimeLayout: h.TimeLayout,
		MaxPartBytes: h.MaxPartBytes, Zip: h.Zip, ZipAboveBytes: h.ZipAboveBytes, BatchSize: h.BatchSize,
		IdempotencyHeader: h.IdempotencyHeader,
		// The sink posts to hr.url itself: no base URL.
		HTTP: cfg.HTTPClientConfig(&h.HTTPClient, "", nil),
	}
	if loc, err := time.LoadLocation(cfg.Timezone); err == nil {
		sc.Location = loc
	}
	s, err := httpsink.New(sc)
	if err != nil {
		return nil, fmt.Errorf("hr: %w", err)
	}
	return s, nil
}

// deliveryOptions are the outbox settings of the HTTP target.
func deliveryOptions(cfg *config.Config, target string) outbox.Options {
	opts := outbox.Options{Target: target, Concurrency: 1}
	if h := cfg.HR.HTTP; h != nil {
		opts.Concurrency = max(h.Concurrency, 1)
		for _, d := range h.RetrySchedule {
			opts.Schedule = append(opts.Schedule, time.Duration(d))
		}
	}
	return opts
}

// DeliverDue sends the outbox events of the configured HTTP target that are
// due now (only those among ids, when given). Without an HTTP target it
// does nothing.
func (s *Session) DeliverDue(ctx context.Context, ids ...int64) (outbox.Summary, error) {
	if !s.Config.HRIsHTTP() {
		return outbox.Summary{}, nil
	}
	sink, err := NewHTTPSink(s.Config)
	if err != nil {
		return outbox.Summary{}, err
	}
	sum, err := outbox.Deliver(ctx, s.State.DB, sink, deliveryOptions(s.Config, sink.Target()), ids...)
	if sum.Due > 0 {
		s.Log.Info("outbox delivered", "due", sum.Due, "succeeded", sum.Succeeded, "retrying", sum.Retrying,
			"gave_up", sum.GaveUp, "interrupted", sum.Interrupted)
	}
	return sum, err
}

// Prune drops run history and delivered events older than the config's
// retention, and the report files of the runs it drops. Pending and failed
// events stay whatever their age.
func (s *Session) Prune(ctx context.Context, now time.Time) error {
	ret := s.Config.Retention
	runs, reports, err := s.State.PruneRuns(ctx, now.Add(-time.Duration(ret.Runs)))
	if err != nil {
		return fmt.Errorf("prune run history: %w", err)
	}
	removed := s.removeReports(reports)
	stored, err := s.State.PruneReports(ctx)
	if err != nil {
		return err
	}
	events, err := outbox.Prune(ctx, s.State.DB, now.Add(-time.Duration(ret.Events)))
	if err != nil {
		return err
	}
	if runs > 0 || events > 0 || stored > 0 {
		s.Log.Info("pruned the run state", "runs", runs, "reports", removed, "stored_reports", stored, "events", events)
	}
	return nil
}

// removeReports deletes the report files among paths that lie inside
// report.dir: a report written elsewhere (--report on a share, a device)
// is the operator's to keep. It returns how many it deleted; one it cannot
// delete is logged, and pruning goes on.
func (s *Session) removeReports(paths []string) int {
	dir, err := filepath.Abs(s.Config.Report.Dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, p := range paths {
		if !insideDir(dir, p) {
			continue
		}
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if err := os.Remove(p); err != nil {
			s.Log.Warn("removing an old report", "file", p, "err", err)
			continue
		}
		n++
	}
	return n
}

// insideDir reports whether path names a file below dir. A relative path
// is never inside: it was relative to a working folder nobody recorded.
func insideDir(dir, path string) bool {
	if !filepath.IsAbs(path) {
		return false
	}
	rel, err := filepath.Rel(dir, filepath.Clean(path))
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// outboxWriter writes punches to an HTTP target through the outbox: each
// batch is encoded into parts, the parts are committed to the run state as
// pending events, and only then sent. A crash at any point leaves every
// part either delivered or due in the outbox, to be sent with the same
// idempotency key by the next run.
type outboxWriter struct {
	db    outbox.Querier
	sink  *httpsink.Sink
	opts  outbox.Options
	runID int64
	now   func() time.Time
}

func newOutboxWriter(sess *Session, runID int64, now func() time.Time) (*outboxWriter, error) {
	sink, err := NewHTTPSink(sess.Config)
	if err != nil {
		return nil, err
	}
	opts := deliveryOptions(sess.Config, sink.Target())
	return &outboxWriter{db: sess.State.DB, sink: sink, opts: opts, runID: runID, now: now}, nil
}

// WritePunches implements sinks.PunchSink: a punch is Imported when its
// part was delivered in this call, Queued while its event is due, and
// Duplicate when an earlier run delivered it or it was closed by hand.
func (w *outboxWriter) WritePunches(ctx context.Context, batch []mapping.Punch, out []sinks.Outcome) error {
	if len(out) != len(batch) {
		return fmt.Errorf("outbox writer: %d outcomes for %d punches", len(out), len(batch))
	}
	events, counts, err := w.sink.EncodeParts(batch)
	if err != nil {
		return err
	}
	created := w.now()
	for i := range events {
		events[i].RunID, events[i].CreatedAt = w.runID, created
	}
	ids, err := outbox.EnqueueAll(ctx, w.db, events)
	if err != nil {
		return err
	}
	// A part queued by an earlier run keeps its event (same key): note
	// which ones were already settled so they are reported as such.
	before, err := outbox.Peek(ctx, w.db, ids...)
	if err != nil {
		return err
	}
	if _, err := outbox.Deliver(ctx, w.db, w.sink, w.opts, ids...); err != nil {
		return fmt.Errorf("delivering to %s (the batches are kept in the outbox for the next run): %w", w.sink.Target(), err)
	}
	after, err := outbox.Peek(ctx, w.db, ids...)
	if err != nil {
		return err
	}
	n := 0
	for i, id := range ids {
		o := eventOutcome(before[id], after[id])
		for range counts[i] {
			if n < len(out) {
				out[n] = o
			}
			n++
		}
	}
	if n != len(batch) {
		return errors.New("outbox writer: parts do not add up to the batch")
	}
	return nil
}

// Close implements sinks.PunchSink; the outbox is the run state's, closed
// with the session.
func (w *outboxWriter) Close() error { return nil }

// eventOutcome is the report outcome of the punches of event e, given what
// the event looked like before this run tried it.
func eventOutcome(before, e outbox.Event) sinks.Outcome {
	switch {
	case before.Status == outbox.Succeeded:
		return sinks.Outcome{Code: mapping.Duplicate, Reason: fmt.Sprintf("already delivered in event %d", e.ID)}
	case e.Status == outbox.Processed:
		return sinks.Outcome{Code: mapping.Duplicate, Reason: fmt.Sprintf("event %d was marked processed: %s", e.ID, e.Note)}
	case e.Status == outbox.Succeeded:
		return sinks.Outcome{Code: mapping.Imported}
	}
	last := e.LastResponse
	if e.LastStatus != 0 {
		last = fmt.Sprintf("HTTP %d %s", e.LastStatus, e.LastResponse)
	}
	if e.WillRetry() {
		return sinks.Outcome{Code: mapping.Queued, Reason: fmt.Sprintf("event %d: the target did not take it (%s); retried after %s",
			e.ID, last, e.NextAttempt.Local().Format("2006-01-02 15:04"))}
	}
	return sinks.Outcome{Code: mapping.Queued, Reason: fmt.Sprintf("event %d failed for good (%s): fix the cause, then hrsync retry %d, or hrsync mark-processed %d --note ...",
		e.ID, last, e.ID, e.ID)}
}
