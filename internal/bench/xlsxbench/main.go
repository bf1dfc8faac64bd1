//go:build !windows

// Command xlsxbench measures `hrsync import` of a generated .xlsx punch export
// into the embedded SQLite HR database, in one run with: a bare loop that only
// reads the same file's cells with excelize's streaming reader, and the
// import of the same rows as CSV. It prints figures; it asserts nothing.
//
//	go run ./internal/bench/xlsxbench -rows 1000000,100000
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/internal/gen"
)

func main() {
	rowsFlag := flag.String("rows", "1000000,100000", "comma-separated punch counts to measure")
	bare := flag.String("bare", "", "internal: read every cell of this .xlsx with excelize's streaming reader and exit")
	keep := flag.Bool("keep", false, "keep the work folder (its path is printed)")
	makeXLSX := flag.String("make-xlsx", "", "internal: write the workbook for this CSV (next argument: the .xlsx path) and exit")
	flag.Parse()
	if *bare != "" {
		check(bareLoop(*bare))
		return
	}
	if *makeXLSX != "" {
		check(writeXLSX(*makeXLSX, flag.Arg(0)))
		return
	}
	work, err := os.MkdirTemp("", "hrsync-xlsxbench-")
	check(err)
	if *keep {
		fmt.Fprintln(os.Stderr, "work folder:", work)
	} else {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "hrsync")
	run("go", "build", "-o", bin, "./cmd/hrsync")
	self, err := os.Executable()
	check(err)
	fmt.Printf("%-9s %-40s %9s %11s %9s\n", "rows", "what", "wall s", "rows/s", "maxRSS MB")
	for _, f := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		measure(work, bin, self, n)
	}
}

func measure(work, bin, self string, n int) {
	// (self is this program, re-run for the parts that would swell its memory.)
	dir := filepath.Join(work, fmt.Sprintf("r%d", n))
	check(os.MkdirAll(dir, 0o755))
	emp, err := os.Create(filepath.Join(dir, "employees.csv"))
	check(err)
	check(gen.WriteEmployeesCSV(emp, 5000))
	emp.Close()
	pf, err := os.Create(filepath.Join(dir, "punches.csv"))
	check(err)
	_, err = gen.WritePunchesCSV(pf, gen.Spec{Employees: 5000, Start: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Days: 61, Punches: n, Seed: 1})
	check(err)
	pf.Close()
	// In a child process: Linux reports a child's peak RSS as at least its
	// parent's at fork, so the parent must stay small.
	run(self, "-make-xlsx", filepath.Join(dir, "punches.csv"), filepath.Join(dir, "punches.xlsx"))
	for _, kind := range []string{"csv", "xlsx"} {
		check(os.WriteFile(filepath.Join(dir, kind+".yaml"), []byte(`timezone: Asia/Ho_Chi_Minh
hr:
  url: sqlite://`+kind+`.db
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.`+kind+`
`+gen.MappingYAML(4)), 0o644))
	}
	loop := timed(self, "-bare", filepath.Join(dir, "punches.xlsx"))
	report(n, "excelize streaming reader, bare loop", loop)
	x := timed(bin, "import", "--quiet", "--config", filepath.Join(dir, "xlsx.yaml"), "--report", filepath.Join(dir, "x.csv"))
	report(n, "hrsync import .xlsx", x)
	c := timed(bin, "import", "--quiet", "--config", filepath.Join(dir, "csv.yaml"), "--report", filepath.Join(dir, "c.csv"))
	report(n, "hrsync import .csv (same rows)", c)
	fmt.Printf("%-9d %-40s %9.2fx\n", n, "ratio xlsx import / bare excelize loop", x.Wall.Seconds()/loop.Wall.Seconds())
	fmt.Printf("%-9d %-40s %9.2fx\n", n, "ratio xlsx import / csv import", x.Wall.Seconds()/c.Wall.Seconds())
}

// writeXLSX copies the CSV into a workbook with excelize's stream writer:
// the key as a number, the time as a date cell, as exports carry them.
func writeXLSX(csvPath, xlsxPath string) error {
	in, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer in.Close()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: strPtr("yyyy-mm-dd hh:mm:ss")})
	if err != nil {
		return err
	}
	r := csv.NewReader(in)
	for row := 1; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		cells := make([]any, len(rec))
		for i, v := range rec {
			cells[i] = v
		}
		if row > 1 {
			key, _ := strconv.Atoi(rec[0])
			t, err := time.Parse("2006-01-02 15:04:05", rec[1])
			if err != nil {
				return err
			}
			cells[0] = key
			cells[1] = excelize.Cell{StyleID: dateStyle, Value: t}
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.SaveAs(xlsxPath)
}

func strPtr(s string) *string { return &s }

// bareLoop reads every cell and does nothing with it.
func bareLoop(path string) error {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := f.Rows(f.GetSheetName(0))
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		cols, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return err
		}
		n += len(cols)
	}
	if n == 0 {
		return fmt.Errorf("no cells")
	}
	return rows.Close()
}

type result = proc.Result

// timed runs a command and measures it; a failure to start ends the bench.
func timed(name string, args ...string) result {
	r, err := proc.Time(proc.Cmd(name, args...))
	check(err)
	if r.ExitCode != 0 {
		fmt.Fprintf(os.Stderr, "%s exited %d\n", name, r.ExitCode)
	}
	return r
}

func report(n int, what string, r result) {
	fmt.Printf("%-9d %-40s %9.2f %11.0f %9.1f\n", n, what, r.Wall.Seconds(), float64(n)/r.Wall.Seconds(), r.MaxRSSMB())
}

func run(name string, args ...string) { check(proc.Run(name, args...)) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "xlsxbench:", err)
		os.Exit(1)
	}
}
