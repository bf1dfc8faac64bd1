package importer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
)

// TestMaxRunTime: a run past max_run_time stops with exit 1 and says why;
// the next run without the limit imports everything (exact after a stop).
func TestMaxRunTime(t *testing.T) {
	var b strings.Builder
	b.WriteString("Pin,Time\n")
	start := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := range 50000 {
		b.WriteString([]string{"1001", "1002"}[i%2] + "," + start.Add(time.Duration(i)*time.Second).Format("2006-01-02 15:04:05") + "\n")
	}
	cfg := setup(t, []byte(b.String()), "")
	cfg.MaxRunTime = config.Duration(time.Millisecond)
	_, err := Import(context.Background(), Options{Config: cfg})
	if err == nil || !strings.Contains(err.Error(), "max_run_time") {
		t.Fatalf("err = %v, want the run stopped by max_run_time", err)
	}
	if code := exitcode.For(err); code != exitcode.For(context.DeadlineExceeded) {
		t.Fatalf("exit code %d, want a failure's", code)
	}
	cfg.MaxRunTime = 0
	res, err := Import(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Counts.Total(); got != 50000 {
		t.Fatalf("the run after the stop reported %d rows, want 50000", got)
	}
	if n := res.Counts[mapping.Imported] + res.Counts[mapping.Duplicate]; n != 50000 {
		t.Fatalf("counts %v after the re-run: want 50000 imported or duplicate", res.Counts)
	}
}
