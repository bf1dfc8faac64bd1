package sqldb

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DefaultStatementTimeout bounds one operation on a database server (a
// batch's transaction, a directory read, the wait for a read's next row)
// when the config sets no statement_timeout: long enough for any batch a
// healthy server takes, short enough that a server that stopped answering
// mid-run ends the run instead of holding it (and its lock) forever.
const DefaultStatementTimeout = 10 * time.Minute

// CheckStatementTimeout is the rule for hr.statement_timeout and a database
// source's statement_timeout, which config checks with: positive, or 0 for
// the default.
func CheckStatementTimeout(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%s: want a positive duration such as 10m, or leave it out for %s", d, DefaultStatementTimeout)
	}
	return nil
}

// Deadline is the per-operation limit of one database connection's user,
// and the config key that sets it, for the message.
type Deadline struct {
	Limit time.Duration // 0: DefaultStatementTimeout
	Key   string        // e.g. "hr.statement_timeout"
}

// TimeoutError is an operation stopped by its Deadline. The operation's
// transaction, if any, was rolled back.
type TimeoutError struct {
	Op    string
	Limit time.Duration
	Key   string
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s: no answer from the database within %s (%s; raise it if the server is only slow)", e.Op, e.Limit, e.Key)
}

// Unwrap makes a timeout a context.DeadlineExceeded, so nothing retries it.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

func (d Deadline) limit() time.Duration {
	if d.Limit <= 0 {
		return DefaultStatementTimeout
	}
	return d.Limit
}

// Start bounds one operation: the context ends after the limit, with a
// TimeoutError naming op as its cause. Pass the operation's error through
// Timeout with the same context.
func (d Deadline) Start(ctx context.Context, op string) (context.Context, context.CancelFunc) {
	l := d.limit()
	return context.WithTimeoutCause(ctx, l, &TimeoutError{Op: op, Limit: l, Key: d.Key})
}

// Idle bounds a streaming read by the wait for each row rather than the
// whole read: Wait before asking the driver for a row, Got once it
// answered. Time the caller spends between rows does not count.
type Idle struct {
	timer  *time.Timer
	limit  time.Duration
	cancel context.CancelCauseFunc
}

// StartIdle is Start for a streaming read; Stop releases it.
func (d Deadline) StartIdle(ctx context.Context, op string) (context.Context, *Idle) {
	l := d.limit()
	ctx, cancel := context.WithCancelCause(ctx)
	te := &TimeoutError{Op: op, Limit: l, Key: d.Key}
	i := &Idle{limit: l, cancel: cancel}
	i.timer = time.AfterFunc(l, func() { cancel(te) })
	return ctx, i
}

// Wait starts the clock for the next answer.
func (i *Idle) Wait() { i.timer.Reset(i.limit) }

// Got stops the clock: the answer came.
func (i *Idle) Got() { i.timer.Stop() }

// Stop ends the read's context.
func (i *Idle) Stop() {
	i.timer.Stop()
	i.cancel(context.Canceled)
}

// Timeout returns the TimeoutError when ctx's deadline is what stopped the
// operation that returned err (a driver reports a cancelled statement in
// its own words: "invalid connection", "canceling statement"), else err.
func Timeout(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var te *TimeoutError
	if errors.As(context.Cause(ctx), &te) && !errors.As(err, new(*TimeoutError)) {
		return te
	}
	return err
}
