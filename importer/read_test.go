package importer

import (
	"context"
	"testing"
	"time"
)

// BenchmarkReadMapped measures the reading side of an import alone: the
// text reader, the mapping and the directory lookup for 200,000 generated
// punches, with no report and no HR target. Run:
//
//	go test ./importer -run '^$' -bench ReadMapped -benchmem
func BenchmarkReadMapped(b *testing.B) {
	const rows = 200000
	cfg := benchConfig(b, rows)
	d, err := LoadDirectory(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	src := cfg.Sources["gate"]
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	b.ResetTimer()
	for b.Loop() {
		n := 0
		_, err := ReadMapped(context.Background(), cfg, src, d, ReadOptions{Now: now}, func(m *Mapped) error {
			if m.OK {
				n++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != rows {
			b.Fatalf("%d rows mapped, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
