//go:build !windows

// Command bench measures `hrsync map-check` over generated punch exports
// against a generated directory: wall time and peak RSS of the process.
// It prints figures; it asserts nothing. Inputs go to a temp folder.
//
//	go run ./importer/mapcheck/bench -rows 1000000,100000 -employees 5000
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/internal/gen"
)

func main() {
	rowsFlag := flag.String("rows", "1000000,100000", "comma-separated punch counts")
	employees := flag.Int("employees", 5000, "employees in the directory")
	unknown := flag.Int("unknown", 50, "of those, how many are missing from the directory (their punches are unmapped)")
	prebuilt := flag.String("bin", "", "use this hrsync binary instead of building ./cmd/hrsync")
	flag.Parse()
	work, err := os.MkdirTemp("", "mapcheck-bench-")
	check(err)
	defer os.RemoveAll(work)
	bin := *prebuilt
	if bin == "" {
		bin = filepath.Join(work, "hrsync")
		out, err := exec.Command("go", "build", "-o", bin, "./cmd/hrsync").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	fmt.Printf("%-9s %-28s %8s %11s %10s\n", "rows", "what", "wall s", "rows/s", "maxRSS MB")
	for _, f := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		dir := filepath.Join(work, fmt.Sprintf("r%d", n))
		check(os.MkdirAll(dir, 0o755))
		// The directory lacks the last `unknown` employees, so their punches
		// are unmapped and the unmapped-key summary has work to do.
		var emp strings.Builder
		check(gen.WriteEmployeesCSV(&emp, *employees))
		lines := strings.SplitAfter(emp.String(), "\n")
		check(os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(strings.Join(lines[:len(lines)-1-*unknown], "")), 0o644))
		pf, err := os.Create(filepath.Join(dir, "punches.csv"))
		check(err)
		_, err = gen.WritePunchesCSV(pf, gen.Spec{Employees: *employees, Start: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Days: 61, Punches: n, Seed: 1})
		check(err)
		check(pf.Close())
		check(os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(`timezone: Asia/Ho_Chi_Minh
hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
    format: { type: csv }
`+gen.MappingYAML(4)), 0o644))
		cfg := filepath.Join(dir, "hrsync.yaml")
		measure(n, "map-check", bin, "map-check", "--config", cfg, "--output", "json")
		measure(n, "map-check --report .csv", bin, "map-check", "--config", cfg, "--output", "json", "--report", filepath.Join(dir, "r.csv"))
	}
}

func measure(n int, what, bin string, args ...string) {
	cmd := proc.Cmd(bin, args...)
	cmd.Stdout = io.Discard
	r, err := proc.Time(cmd)
	check(err)
	if r.ExitCode != 0 && r.ExitCode != 3 { // 3: rows were rejected (the unmapped employees), as expected
		check(fmt.Errorf("%s exited %d", what, r.ExitCode))
	}
	fmt.Printf("%-9d %-28s %8.2f %11.0f %10.0f\n", n, what, r.Wall.Seconds(), float64(n)/r.Wall.Seconds(), r.MaxRSSMB())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
