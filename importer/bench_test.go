package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/gen"
)

// BenchmarkImport imports generated punches (5,000 employees, two months)
// into a fresh embedded SQLite HR database. HRSYNC_BENCH_ROWS sets the size
// (default 200,000). For the comparison with sqlite3's .import and peak
// memory, run `go run ./internal/bench/importbench`.
func BenchmarkImport(b *testing.B) {
	rows := 200000
	if v := os.Getenv("HRSYNC_BENCH_ROWS"); v != "" {
		if _, err := fmt.Sscan(v, &rows); err != nil {
			b.Fatal(err)
		}
	}
	cfg := benchConfig(b, rows)
	dir := cfg.Dir
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.Remove(filepath.Join(dir, "hr.db"))
		os.Remove(filepath.Join(dir, "hr.db-wal"))
		b.StartTimer()
		res, err := Import(context.Background(), Options{Config: cfg, ReportPath: filepath.Join(dir, "report.csv")})
		if err != nil {
			b.Fatal(err)
		}
		if res.Counts.Total() != int64(rows) {
			b.Fatalf("counts %v", res.Counts)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// benchConfig writes rows generated punches (5,000 employees, two months)
// and a config that imports them into an embedded SQLite HR database in a
// temp folder, and loads it.
func benchConfig(b *testing.B, rows int) *config.Config {
	dir := b.TempDir()
	f, _ := os.Create(filepath.Join(dir, "employees.csv"))
	gen.WriteEmployeesCSV(f, 5000)
	f.Close()
	f, _ = os.Create(filepath.Join(dir, "punches.csv"))
	gen.WritePunchesCSV(f, gen.Spec{Employees: 5000, Start: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Days: 61, Punches: rows, Seed: 1})
	f.Close()
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
`+gen.MappingYAML(4)), 0o644)
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}
