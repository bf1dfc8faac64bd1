package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/outbox"
)

// The outbox by hand: what `hrsync retry` and `hrsync mark-processed` do,
// here once so the console's buttons are the same runs as the commands.

// RetryResult is what Retry did.
type RetryResult struct {
	RunID   int64
	Summary outbox.Summary
	// Skipped names the events asked for that had nothing to send
	// (already succeeded or processed).
	Skipped []string
	// StillFailed counts the failed events left in the outbox afterwards.
	StillFailed int
}

// Outcome is nil when no failed event waits, else exit 4 (queued).
func (r RetryResult) Outcome() error {
	if r.StillFailed > 0 {
		return exitcode.Incomplete(exitcode.Queued, "%d failed events wait in the outbox", r.StillFailed)
	}
	return nil
}

// Retry sends what is due (BeginRun does) and then, when ids are given,
// those events at once, failed ones included, with a fresh retry schedule.
// spec.Command is set here; the caller gives Args, User and Log.
func Retry(ctx context.Context, cfg *config.Config, spec RunSpec, ids []int64) (res RetryResult, err error) {
	if !cfg.HRIsHTTP() {
		return res, exitcode.AsUsage(fmt.Errorf("%s: hr.url is not an HTTP API, so there is no outbox to retry", cfg.Path))
	}
	spec.Command, spec.SendNothing, spec.DryRun = "retry", false, false
	// The run sends what is due as it begins; the retry is part of the
	// audit trail, with what it sent.
	run, err := BeginRun(ctx, cfg, spec)
	if err != nil {
		return res, err
	}
	res.RunID, res.Summary = run.ID, run.Delivered
	defer func() {
		s := res.Summary
		counts := report.Counts{"succeeded": int64(s.Succeeded), "retrying": int64(s.Retrying),
			"gave_up": int64(s.GaveUp), "interrupted": int64(s.Interrupted)}
		run.End(ctx, counts, cmp.Or(err, res.Outcome()))
	}()
	if len(ids) > 0 {
		for _, id := range ids {
			e, err := outbox.Get(ctx, run.State.DB, id)
			if err != nil {
				return res, err
			}
			if e.Status == outbox.Succeeded || e.Status == outbox.Processed {
				res.Skipped = append(res.Skipped, fmt.Sprintf("event %d is %s", id, e.Status))
			}
		}
		if _, err := outbox.Requeue(ctx, run.State.DB, time.Now(), ids...); err != nil {
			return res, err
		}
		more, derr := run.DeliverDue(ctx, ids...)
		res.Summary = addSummary(res.Summary, more)
		if derr != nil {
			return res, derr
		}
	}
	// Exit 4 while any failed event waits, sent now or not due yet: the
	// HR system lacks those rows until a later try or a person.
	res.StillFailed, err = outbox.Count(ctx, run.State.DB, outbox.Failed)
	return res, err
}

func addSummary(a, b outbox.Summary) outbox.Summary {
	return outbox.Summary{Due: a.Due + b.Due, Succeeded: a.Succeeded + b.Succeeded, Retrying: a.Retrying + b.Retrying,
		GaveUp: a.GaveUp + b.GaveUp, Interrupted: a.Interrupted + b.Interrupted}
}

// ErrNoteRequired refuses a mark-processed without a note.
var ErrNoteRequired = exitcode.AsUsage(errors.New("a note is required: say what was done with the batch"))

// MarkProcessed closes a failed or pending event by hand with a note, under
// the run lock (so a scheduled run cannot be sending the event while it is
// closed) and in the history, like every change.
func MarkProcessed(ctx context.Context, cfg *config.Config, spec RunSpec, id int64, note string) (err error) {
	if strings.TrimSpace(note) == "" {
		return ErrNoteRequired
	}
	spec.Command, spec.SendNothing, spec.DryRun = "mark-processed", true, false
	run, err := BeginRun(ctx, cfg, spec)
	if err != nil {
		return err
	}
	counts := report.Counts{}
	defer func() { run.End(ctx, counts, err) }()
	if err = outbox.MarkProcessed(ctx, run.State.DB, id, note, time.Now()); err != nil {
		return err
	}
	counts["processed"] = 1
	return nil
}
