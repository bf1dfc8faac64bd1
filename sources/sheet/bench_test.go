package sheet

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// Run with:
//
//	go test -run '^$' -bench . -benchtime 1x ./sources/sheet/
//
// Each figure is one pass over the file. peak-heap-MB is sampled every
// 20 ms; peak-rss-MB is the process high-water mark, reset before each run
// (Linux only).

const benchRows = 1_000_000

// BenchmarkXLSXMillionRows compares a bare loop over excelize's streaming
// Rows() (RawCellValue, every cell read) with this package's Reader on the
// same 1,000,000-row workbook.
func BenchmarkXLSXMillionRows(b *testing.B) {
	path := filepath.Join(b.TempDir(), "punches.xlsx")
	start := time.Now()
	if err := writeBenchXLSX(path, benchRows); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	b.Logf("wrote %d rows (%.1f MB) in %s", benchRows, float64(info.Size())/1e6, time.Since(start).Round(time.Millisecond))

	b.Run("excelize-Rows", func(b *testing.B) {
		measure(b, func() (int, error) {
			f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
			if err != nil {
				return 0, err
			}
			defer f.Close()
			rows, err := f.Rows("Sheet1")
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			n, cells := 0, 0
			for rows.Next() {
				cols, err := rows.Columns(excelize.Options{RawCellValue: true})
				if err != nil {
					return n, err
				}
				cells += len(cols)
				n++
			}
			return n, rows.Error()
		})
	})
	b.Run("excelize-OpenFile-only", func(b *testing.B) {
		measure(b, func() (int, error) {
			f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
			if err != nil {
				return 0, err
			}
			return 0, f.Close()
		})
	})
	b.Run("Reader", func(b *testing.B) {
		measure(b, func() (int, error) { return readCount(path) })
	})
}

// BenchmarkXLSSixtyThousandRows reads a 60,000-row .xls that LibreOffice
// makes from a CSV at run time (skipped without soffice).
func BenchmarkXLSSixtyThousandRows(b *testing.B) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		b.Skip("soffice not found: apt-get install -y libreoffice-calc-nogui")
	}
	dir := b.TempDir()
	csvPath := filepath.Join(dir, "punches.csv")
	if err := writeBenchCSV(csvPath, 60_000); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless",
		"--infilter=CSV:44,34,76,1", "--convert-to", "xls:MS Excel 97", "--outdir", dir, csvPath)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("soffice: %v: %s", err, out)
	}
	path := filepath.Join(dir, "punches.xls")
	b.Run("Reader", func(b *testing.B) {
		measure(b, func() (int, error) { return readCount(path) })
	})
	if err := verifyBenchRows(path, 60_000); err != nil {
		b.Fatal(err)
	}
}

// verifyBenchRows checks every row against what writeBenchCSV wrote.
func verifyBenchRows(path string, n int) error {
	r, err := Open(path, "bench", Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	for i := 0; ; i++ {
		row, err := r.Next()
		if err == io.EOF {
			if i != n {
				return fmt.Errorf("%d rows, want %d", i, n)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if got, want := strings.Join(row.Fields, ","), benchCSVLine(i); got != want {
			return fmt.Errorf("row %d: %q, want %q", row.Origin.Line, got, want)
		}
	}
}

func benchCSVLine(i int) string {
	s := i % 86400
	return fmt.Sprintf("E%d,Employee name,2025-12-%02d,%02d:%02d:%02d,%s,7", 1000+i%4000, 1+i/20000, s/3600, s/60%60, s%60, []string{"C/In", "C/Out"}[i%2])
}

func readCount(path string) (int, error) {
	r, err := Open(path, "bench", Options{})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		row, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if row.Err != nil {
			return n, row.Err
		}
		n++
	}
}

// measure runs read b.N times and reports time, rows/s and peak memory.
func measure(b *testing.B, read func() (int, error)) {
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	stop := make(chan struct{})
	peak := make(chan uint64)
	go samplePeakHeap(stop, peak)
	b.ResetTimer()
	rows := 0
	for i := 0; i < b.N; i++ {
		n, err := read()
		if err != nil {
			b.Fatal(err)
		}
		rows += n
	}
	b.StopTimer()
	close(stop)
	heap := <-peak
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(rows)/sec, "rows/s")
	b.ReportMetric(float64(heap)/1e6, "peak-heap-MB")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(float64(rss)/1e6, "peak-rss-MB")
	}
	b.Logf("%d rows in %.2f s", rows/b.N, sec/float64(b.N))
}

func samplePeakHeap(stop <-chan struct{}, out chan<- uint64) {
	var ms runtime.MemStats
	var peak uint64
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse+ms.StackInuse)
		select {
		case <-stop:
			out <- peak
			return
		case <-t.C:
		}
	}
}

// resetPeakRSS resets VmHWM (Linux: writing 5 to clear_refs).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS reads VmHWM in bytes, 0 where there is none.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// writeBenchXLSX writes a punch export: a title, a blank row, a header and
// n rows of employee, name, date, time, status, device.
func writeBenchXLSX(path string, n int) error {
	f := excelize.NewFile()
	defer f.Close()
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		return err
	}
	clock, err := f.NewStyle(&excelize.Style{NumFmt: 21})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{"Attendance report"}); err != nil {
		return err
	}
	if err := sw.SetRow("A3", []any{"Emp No", "Name", "Date", "Time", "Status", "Device"}); err != nil {
		return err
	}
	status := []string{"C/In", "C/Out"}
	row := make([]any, 6)
	for i := 0; i < n; i++ {
		day := 45992 + i/40000
		row[0] = fmt.Sprintf("E%d", 1000+i%4000)
		row[1] = "Employee name"
		row[2] = excelize.Cell{StyleID: date, Value: day}
		row[3] = excelize.Cell{StyleID: clock, Value: float64(i%86400) / 86400}
		row[4] = status[i%2]
		row[5] = 7
		if err := sw.SetRow("A"+strconv.Itoa(i+4), row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(path)
}

func writeBenchCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "Emp No,Name,Date,Time,Status,Device")
	for i := 0; i < n; i++ {
		fmt.Fprintln(w, benchCSVLine(i))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
