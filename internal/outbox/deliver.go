package outbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sender delivers one event to its target. It returns the reply status and
// text when the target answered (any status: Deliver decides what it
// means), or an error when no answer came back. The event's idempotency
// key must go with the request so a target can drop a repeat.
type Sender interface {
	Send(ctx context.Context, e Event) (status int, response string, err error)
}

// PermanentError marks a Sender error that another try will not fix (a
// payload the target can never accept, say).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Options tune Deliver. Zero values take the defaults.
type Options struct {
	// Target names the events to deliver (required): the outbox holds
	// events for every target, and a sender speaks to one.
	Target      string
	Now         func() time.Time // default time.Now
	Schedule    []time.Duration  // default DefaultSchedule
	Concurrency int              // sends in flight at once; default 1
}

// Summary counts what one Deliver call did.
type Summary struct {
	Due         int // events that were due
	Succeeded   int
	Retrying    int // failed, will be tried again on schedule
	GaveUp      int // failed for good: a person must look
	Interrupted int // sent (maybe) but not recorded because the context ended; sent again next time
}

// Failed is how many events did not get through this time.
func (s Summary) Failed() int { return s.Retrying + s.GaveUp }

// Outcome maps a reply to what happens to the event: 2xx succeeds; 408,
// 429 and 5xx (and no reply at all) retry on schedule; anything else, other
// 4xx above all, fails for good because resending the same batch gets the
// same answer.
func Outcome(status int, err error) (ok, permanent bool) {
	if err != nil {
		var perm *PermanentError
		return false, errors.As(err, &perm)
	}
	switch {
	case status >= 200 && status < 300:
		return true, false
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500:
		return false, false
	}
	return false, true
}

type result struct {
	id       int64
	status   int
	response string
	err      error
}

// Deliver sends opts.Target's events that are due now (only those among
// ids, when given) and records each outcome. Up to Concurrency sends run at
// once; all database work stays on the calling goroutine, so writes never
// contend. When ctx ends, no new send starts; a send in flight that gets a
// reply is still recorded, and one cut short is left unrecorded (it counts
// as Interrupted) and goes again on the next run with the same key. Deliver assumes one process delivers at a time (the run
// lock); two at once could each send the same event.
func Deliver(ctx context.Context, db Querier, sender Sender, opts Options, ids ...int64) (Summary, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	schedule := opts.Schedule
	if schedule == nil {
		schedule = DefaultSchedule
	}
	workers := max(opts.Concurrency, 1)

	var sum Summary
	if opts.Target == "" {
		return sum, errors.New("outbox: deliver: no target named")
	}
	due, err := dueIDs(ctx, db, opts.Target, now(), ids)
	if err != nil {
		return sum, err
	}
	sum.Due = len(due)

	jobs := make(chan Event)
	results := make(chan result)
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	for range min(workers, len(due)) {
		go func() {
			for e := range jobs {
				status, response, err := sender.Send(sendCtx, e)
				results <- result{e.ID, status, response, err}
			}
		}()
	}

	var firstErr error
	keep := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	// A reply that came back is recorded even when the run is being
	// stopped: the target has the event, and forgetting that would send it
	// again. Only a send cut short is left due.
	recordCtx := context.WithoutCancel(ctx)
	record := func(r result) {
		if r.err != nil && (errors.Is(r.err, context.Canceled) || ctx.Err() != nil) {
			// The send was cut short: whether the target got it is unknown.
			// Leave the event due so the next run sends it again.
			sum.Interrupted++
			return
		}
		ok, permanent := Outcome(r.status, r.err)
		response := r.response
		if r.err != nil {
			response = r.err.Error()
		}
		if ok {
			if err := MarkSucceeded(recordCtx, db, r.id, r.status, response, now()); err != nil {
				keep(err)
				return
			}
			sum.Succeeded++
			return
		}
		retry, err := MarkFailed(recordCtx, db, r.id, r.status, response, permanent, now(), schedule)
		switch {
		case err != nil:
			keep(err)
		case retry:
			sum.Retrying++
		default:
			sum.GaveUp++
		}
	}

	// One event is loaded ahead and handed to the first free worker.
	var loaded *Event
	inFlight, next := 0, 0
	for {
		if firstErr != nil || ctx.Err() != nil {
			loaded, next = nil, len(due) // stop handing out; drain what is in flight
		}
		if loaded == nil && next < len(due) {
			e, err := Get(ctx, db, due[next])
			next++
			if err != nil {
				keep(err)
				continue
			}
			loaded = &e
		}
		if loaded == nil && inFlight == 0 {
			break
		}
		var send chan<- Event
		var e Event
		if loaded != nil {
			send, e = jobs, *loaded
		}
		select {
		case send <- e:
			inFlight++
			loaded = nil
		case r := <-results:
			inFlight--
			record(r)
		}
	}
	close(jobs)
	if firstErr != nil {
		return sum, firstErr
	}
	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("outbox: deliver stopped with %d of %d due events left: %w", len(due)-sum.Succeeded-sum.Failed(), len(due), err)
	}
	return sum, nil
}
