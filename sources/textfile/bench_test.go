package textfile

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const benchRows = 1_000_000

// writeBenchFile generates benchRows punch rows into a temp file: a CSV like
// FINDINGS.md's 41 MB baseline, or the same punches as a ZKTeco attlog.
func writeBenchFile(b *testing.B, attlog bool) (string, int64) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "punches.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if !attlog {
		fmt.Fprintln(w, "employee,time,device,direction")
	}
	for i := range benchRows {
		at := start.Add(time.Duration(i) * 3 * time.Second).Format("2006-01-02 15:04:05")
		if attlog {
			fmt.Fprintf(w, "%9d\t%s\t1\t%d\t1\t0\n", 1+i%5000, at, i%2)
		} else {
			fmt.Fprintf(w, "%06d,%s,GATE-%06d,%d\n", 1+i%5000, at, i%16, i%2)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	info, err := f.Stat()
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path, info.Size()
}

// BenchmarkRead reads a whole 1,000,000-row file per iteration and reports
// rows/s; allocs/op is per file, so divide by 1e6 for allocations per row.
func BenchmarkRead(b *testing.B) {
	for _, layout := range []struct {
		name   string
		attlog bool
	}{{"csv", false}, {"attlog", true}} {
		b.Run(layout.name, func(b *testing.B) {
			path, size := writeBenchFile(b, layout.attlog)
			b.SetBytes(size)
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				r, err := Open(path, "bench", Options{})
				if err != nil {
					b.Fatal(err)
				}
				for {
					row, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil || row.Err != nil {
						b.Fatal(err, row.Err)
					}
					rows++
				}
				r.Close()
			}
			b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(size)/1e6, "MB/file")
		})
	}
}

// BenchmarkBaselineCSV is encoding/csv alone on the same file, the floor
// BenchmarkRead/csv is measured against.
func BenchmarkBaselineCSV(b *testing.B) {
	path, size := writeBenchFile(b, false)
	b.SetBytes(size)
	b.ReportAllocs()
	rows := 0
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(f)
		r.ReuseRecord = true
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		f.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
