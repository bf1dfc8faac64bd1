package sqldb

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestIdleCountsOnlyTheWait: time between Got and the next Wait (the
// caller's own work) never ends the read; a wait longer than the limit
// does, with a TimeoutError naming the operation and the key. Sleeps are
// many times the limit either way, so the test does not race the clock.
func TestIdleCountsOnlyTheWait(t *testing.T) {
	d := Deadline{Limit: 20 * time.Millisecond, Key: "sources.x.statement_timeout"}
	ctx, idle := d.StartIdle(context.Background(), "reading its rows")
	defer idle.Stop()
	idle.Got()
	time.Sleep(200 * time.Millisecond) // the caller busy between rows
	if err := ctx.Err(); err != nil {
		t.Fatalf("a slow caller ended the read: %v", err)
	}
	idle.Wait()
	<-ctx.Done() // the database never answers
	err := Timeout(ctx, errors.New("invalid connection"))
	var te *TimeoutError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "reading its rows: no answer from the database within 20ms (sources.x.statement_timeout") {
		t.Fatalf("got %v, want the TimeoutError", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || Classify(err) == Transient {
		t.Fatalf("a timeout must read as a deadline, never as transient (retried): %v", err)
	}
}

// TestTimeoutLeavesOtherErrors: an error while the deadline has not passed
// is returned as it is; the default applies when no limit is set.
func TestTimeoutLeavesOtherErrors(t *testing.T) {
	ctx, cancel := Deadline{}.Start(context.Background(), "op")
	defer cancel()
	if dl, ok := ctx.Deadline(); !ok || time.Until(dl) < DefaultStatementTimeout-time.Minute {
		t.Fatalf("deadline %v, want about %s from now", dl, DefaultStatementTimeout)
	}
	other := errors.New("duplicate key")
	if err := Timeout(ctx, other); err != other {
		t.Fatalf("got %v, want the error itself", err)
	}
	if Timeout(ctx, nil) != nil {
		t.Fatal("nil became an error")
	}
	if CheckStatementTimeout(-time.Second) == nil || CheckStatementTimeout(0) != nil || CheckStatementTimeout(time.Minute) != nil {
		t.Fatal("CheckStatementTimeout: want only negatives refused")
	}
}
