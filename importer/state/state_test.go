package state

import (
	"context"
	"path/filepath"
	"testing"

	"time"
)

func TestRunsAndWatermarks(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "sub", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Date(2025, 12, 1, 6, 30, 0, 0, time.UTC)
	id, err := s.StartRun(ctx, Run{Command: "import", Args: "--source gate", User: "it", Host: "srv", StartedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, id, start.Add(1500*time.Millisecond), 3, map[string]int64{"imported": 5, "unmapped": 1}, "r.csv", ""); err != nil {
		t.Fatal(err)
	}
	r, err := s.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.DurationMS != 1500 || *r.ExitCode != 3 || r.Counts["unmapped"] != 1 || r.ReportPath != "r.csv" {
		t.Fatalf("run = %+v", r)
	}
	if n, reports, _ := s.PruneRuns(ctx, start.Add(time.Hour)); n != 1 || len(reports) != 1 || reports[0] != "r.csv" {
		t.Fatalf("pruned %d runs with reports %q, want 1 with r.csv", n, reports)
	}

	if v, _ := s.Watermark(ctx, "db"); v != "" {
		t.Fatalf("fresh watermark = %q", v)
	}
	for _, v := range []string{"10", "42"} {
		if err := s.SetWatermark(ctx, "db", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := s.Watermark(ctx, "db"); v != "42" {
		t.Fatalf("watermark = %q, want 42", v)
	}
}
