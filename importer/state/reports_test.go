package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// checkReports (TestStateContract): a report of many chunks comes back
// byte for byte, is replaced when stored again, and goes when its run is
// pruned.
func checkReports(t *testing.T, s *Store) {
	ctx := context.Background()
	start := time.Date(2025, 12, 1, 6, 30, 0, 0, time.UTC)
	id, err := s.StartRun(ctx, Run{Command: "import", StartedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Report(ctx, id); !errors.Is(err, ErrNoReport) {
		t.Fatalf("before storing: %v", err)
	}
	// Rows with random ids compress poorly enough to need several chunks.
	var report bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	report.WriteString("\uFEFFsource,line,key,outcome\n")
	const rows = 40000
	for i := range rows {
		fmt.Fprintf(&report, "gate,%d,%08x,imported\n", i+2, r.Uint32())
	}
	rep, err := s.SaveReport(ctx, id, "csv", rows, bytes.NewReader(report.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var chunks int
	s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM {run_report_chunks} WHERE run_id=?`, id).Scan(&chunks)
	if rep.Bytes != int64(report.Len()) || rep.Rows != rows || rep.Compressed >= rep.Bytes || chunks < 2 {
		t.Fatalf("stored %+v in %d chunks, report %d bytes", rep, chunks, report.Len())
	}
	var back bytes.Buffer
	if _, err := s.WriteReport(ctx, id, &back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), report.Bytes()) {
		t.Fatalf("read back %d bytes, differ from the %d stored", back.Len(), report.Len())
	}

	if _, err := s.SaveReport(ctx, id, "jsonl", 1, bytes.NewReader([]byte("{\"line\":2}\n"))); err != nil {
		t.Fatal(err)
	}
	back.Reset()
	if got, err := s.WriteReport(ctx, id, &back); err != nil || back.String() != "{\"line\":2}\n" || got.Format != "jsonl" {
		t.Fatalf("replaced report: %+v %q %v", got, back.String(), err)
	}

	if n, err := s.PruneReports(ctx); n != 0 || err != nil {
		t.Fatalf("pruned %d reports of a kept run (%v)", n, err)
	}
	if _, _, err := s.PruneRuns(ctx, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneReports(ctx); n != 1 || err != nil {
		t.Fatalf("pruned %d reports (%v), want the pruned run's one", n, err)
	}
	s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM {run_report_chunks}`).Scan(&chunks)
	if _, err := s.Report(ctx, id); !errors.Is(err, ErrNoReport) || chunks != 0 {
		t.Fatalf("after pruning: %v, %d chunks left", err, chunks)
	}
}
