//go:build !windows

// Command importbench measures `hrsync import` of generated punch exports into
// the embedded SQLite HR database, against sqlite3's own .import of the same
// file into a table with the same unique key, in one run. It prints figures;
// it asserts nothing.
//
//	go run ./internal/bench/importbench -rows 1000000,100000
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/internal/gen"
)

func main() {
	rowsFlag := flag.String("rows", "1000000,100000", "comma-separated punch counts to measure")
	employees := flag.Int("employees", 5000, "employees in the directory")
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	work, err := os.MkdirTemp("", "hrsync-bench-")
	check(err)
	if !*keep {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "hrsync")
	run("go", "build", "-o", bin, "./cmd/hrsync")
	fmt.Printf("%-9s %-34s %9s %9s %11s %9s\n", "rows", "what", "wall s", "CPU s", "rows/s", "maxRSS MB")
	for _, f := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		measure(work, bin, n, *employees)
	}
}

func measure(work, bin string, n, employees int) {
	dir := filepath.Join(work, fmt.Sprintf("r%d", n))
	check(os.MkdirAll(dir, 0o755))
	emp, err := os.Create(filepath.Join(dir, "employees.csv"))
	check(err)
	check(gen.WriteEmployeesCSV(emp, employees))
	emp.Close()
	pf, err := os.Create(filepath.Join(dir, "punches.csv"))
	check(err)
	_, err = gen.WritePunchesCSV(pf, gen.Spec{Employees: employees, Start: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Days: 61, Punches: n, Seed: 1})
	check(err)
	pf.Close()
	check(os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(`timezone: Asia/Ho_Chi_Minh
hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
    format: { type: csv, delimiter: ",", encoding: utf-8 }
`+gen.MappingYAML(4)), 0o644))
	cfg := filepath.Join(dir, "hrsync.yaml")
	first := timed(bin, "import", "--quiet", "--config", cfg, "--report", filepath.Join(dir, "r1.csv"))
	report(n, "hrsync import (new rows)", first)
	second := timed(bin, "import", "--quiet", "--config", cfg, "--report", filepath.Join(dir, "r2.csv"))
	report(n, "hrsync import again (all duplicate)", second)

	// Baseline 1: the same file into a table of its own four columns with
	// the same unique key.
	db := filepath.Join(dir, "cli.db")
	schema := `CREATE TABLE punches(employee_id TEXT NOT NULL, punch_time TEXT NOT NULL, direction TEXT, device_id TEXT NOT NULL);
CREATE UNIQUE INDEX punches_key ON punches(punch_time, employee_id, device_id);`
	run("sqlite3", db, schema)
	cli := timed("sqlite3", db, ".import --csv --skip 1 "+filepath.Join(dir, "punches.csv")+" punches")
	report(n, "sqlite3 .import, same file", cli)

	// Baseline 2: the rows as hrsync stores them into a table with hrsync's
	// own schema and unique key (the file's four columns cannot fill it).
	mapped := filepath.Join(dir, "mapped.csv")
	run("sqlite3", "-csv", filepath.Join(dir, "hr.db"), ".output "+mapped,
		"SELECT employee_id, punch_time, direction, device_id, source, source_key, imported_at FROM attendance_punches ORDER BY id")
	same := filepath.Join(dir, "same.db")
	run("sqlite3", same, `CREATE TABLE attendance_punches(employee_id TEXT NOT NULL, punch_time TEXT NOT NULL, direction TEXT,
  device_id TEXT NOT NULL, source TEXT, source_key TEXT, imported_at TEXT);
CREATE UNIQUE INDEX attendance_punches_key ON attendance_punches(punch_time, employee_id, device_id);`)
	cli2 := timed("sqlite3", same, ".import --csv "+mapped+" attendance_punches")
	report(n, "sqlite3 .import, hrsync's schema", cli2)
	fmt.Printf("%-9d %-34s %9.2fx %8.2fx  (wall, CPU)\n", n, "ratio hrsync / .import same file", first.Wall.Seconds()/cli.Wall.Seconds(), first.CPU.Seconds()/cli.CPU.Seconds())
	fmt.Printf("%-9d %-34s %9.2fx %8.2fx  (wall, CPU)\n", n, "ratio hrsync / .import same schema", first.Wall.Seconds()/cli2.Wall.Seconds(), first.CPU.Seconds()/cli2.CPU.Seconds())
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
	fmt.Printf("%-9d %-34s %9.2f %9.2f %11.0f %9.1f\n", n, what, r.Wall.Seconds(), r.CPU.Seconds(), float64(n)/r.Wall.Seconds(), r.MaxRSSMB())
}

func run(name string, args ...string) { check(proc.Run(name, args...)) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(1)
	}
}
