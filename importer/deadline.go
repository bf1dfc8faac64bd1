package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hrsync/hrsync/config"
)

// RunDeadline bounds a run by max_run_time: every read, write and remote
// call below takes the context, so a run past it stops where it is, with
// what it committed kept (and reported as duplicate by the next run).
func RunDeadline(ctx context.Context, cfg *config.Config) (context.Context, context.CancelFunc) {
	d := time.Duration(cfg.MaxRunTime)
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("stopped: the run took longer than max_run_time (%s); what it committed is kept and the next run goes on from there", d))
}

// DeadlineCause puts max_run_time's words on the error a run stopped by it
// returns, instead of "context deadline exceeded".
func DeadlineCause(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return err
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}
