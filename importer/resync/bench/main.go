//go:build !windows

// Command bench measures `hrsync resync --prune` of one department (1,000
// employees) over 31 days against an HR punch table of 5 million rows, on
// SQLite and on MariaDB. In the department's window the HR table lacks 5%
// of the source's punches, holds 1% with another direction or device, and
// 1% extra. It prints wall time, peak RSS and the outcome counts; it
// asserts nothing. The generated data lives in a temp folder.
//
//	go run ./importer/resync/bench sqlite mariadb
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/internal/gen"
	"github.com/hrsync/hrsync/internal/sqldb"
)

var (
	employees = flag.Int("employees", 10000, "employees (ten departments)")
	days      = flag.Int("days", 125, "days of punches in the HR table (4 a day per employee)")
	winStart  = flag.Int("window-start", 60, "first day of the resync window")
	winDays   = flag.Int("window-days", 31, "days in the resync window")
	allInFile = flag.Bool("file-all", false, "the source file holds every employee's window, not only the department's")
	mysqlURL  = flag.String("mysql", "mysql://root@127.0.0.1:3306/test", "MariaDB URL")
	keep      = flag.Bool("keep", false, "keep the work folder")
	// hrsync creates the table without it (hr.punches.employee_index: true adds it).
	employeeIndex = flag.Bool("employee-index", false, "also index (employee_id, punch_time), as hr.punches.employee_index does")
)

var start = time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)

// punch is employee i's k-th punch of day d: 08:00, 12:00, 13:00, 17:00
// plus a few minutes that differ per employee and day.
type punch struct {
	emp, day, k int
	dir, dev    string
	when        time.Time
}

func punchOf(i, d, k int) punch {
	hours := [4]int{8, 12, 13, 17}
	dirs := [4]string{"in", "out", "in", "out"}
	off := time.Duration((i*37+d*13+k*7)%1800) * time.Second
	t := start.AddDate(0, 0, d).Add(time.Duration(hours[k])*time.Hour + off)
	return punch{emp: i, day: d, k: k, dir: dirs[k], dev: fmt.Sprintf("GATE-%d", 1+i%4), when: t}
}

// fate decides what the HR table holds for a window punch of the department:
// 0 same, 1 missing (5%), 2 changed (1%).
func fate(i, d, k int) int {
	h := (i*7919 + d*104729 + k*1299709) % 100
	switch {
	case h < 5:
		return 1
	case h < 6:
		return 2
	}
	return 0
}

const dept = 3 // Dept-03: employees with i%10 == 3

func main() {
	flag.Parse()
	work, err := os.MkdirTemp("", "hrsync-resync-bench-")
	check(err)
	if !*keep {
		defer os.RemoveAll(work)
	}
	repo, err := os.Getwd()
	check(err)
	bin := filepath.Join(work, "hrsync")
	run(repo, "go", "build", "-o", bin, "./cmd/hrsync")
	emp, err := os.Create(filepath.Join(work, "employees.csv"))
	check(err)
	check(gen.WriteEmployeesCSV(emp, *employees))
	emp.Close()
	n := writeSource(filepath.Join(work, "punches.csv"))
	fmt.Printf("source file: %d punches; HR table: %d employees x %d days x 4 punches\n", n, *employees, *days)
	dbs := flag.Args()
	if len(dbs) == 0 {
		dbs = []string{"sqlite", "mariadb"}
	}
	for _, db := range dbs {
		measure(work, bin, db)
	}
}

func writeSource(path string) int {
	f, err := os.Create(path)
	check(err)
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "AC-No,Time,State,Device")
	n := 0
	for d := *winStart; d < *winStart+*winDays; d++ {
		for i := 0; i < *employees; i++ {
			if i%10 != dept && !*allInFile {
				continue
			}
			for k := 0; k < 4; k++ {
				p := punchOf(i, d, k)
				fmt.Fprintf(w, "%s,%s,%s,%s\n", gen.AttendanceNo(i), p.when.Format("2006-01-02 15:04:05"), p.dir, p.dev)
				n++
			}
		}
	}
	check(w.Flush())
	check(f.Close())
	return n
}

func measure(work, bin, db string) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(work, "hr.db")
	table := "attendance_punches"
	if db == "mariadb" {
		url, table = *mysqlURL, "resync_bench_punches"
	}
	conn, err := sqldb.Open(ctx, url, sqldb.Credentials{})
	if err != nil {
		fmt.Printf("%s: not reachable: %v\n", db, err)
		return
	}
	defer conn.Close()
	t0 := time.Now()
	rows := load(ctx, conn, table)
	fmt.Printf("%s: loaded %d punches in %.1f s\n", db, rows, time.Since(t0).Seconds())
	cfg := filepath.Join(work, "hrsync-"+db+".yaml")
	check(os.WriteFile(cfg, []byte(fmt.Sprintf(`timezone: UTC
data_dir: data-%s
hr:
  url: %s
  employees: { file: employees.csv }
  punches: { table: %s }
sources:
  gate:
    path: punches.csv
    format: { type: csv, delimiter: ",", encoding: utf-8 }
    mapping:
      employee_key: { column: AC-No }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
      direction: { column: State, codes: { in: [in], out: [out] } }
      device: { column: Device }
`, db, url, table)), 0o644))
	from := start.AddDate(0, 0, *winStart).Format("2006-01-02")
	to := start.AddDate(0, 0, *winStart+*winDays-1).Format("2006-01-02")
	args := []string{"resync", "--config", cfg, "--department", "dept-03", "--from", from, "--to", to, "--prune", "--output", "json"}
	fmt.Printf("%-8s %-28s %8s %10s  %s\n", "db", "what", "wall s", "maxRSS MB", "counts")
	for _, what := range []string{"resync --dry-run", "resync --prune", "resync --prune again"} {
		a := args
		if what == "resync --dry-run" {
			a = append(append([]string(nil), args...), "--dry-run")
		}
		r := timed(bin, a...)
		fmt.Printf("%-8s %-28s %8.2f %10.1f  %s\n", db, what, r.Wall.Seconds(), r.MaxRSSMB(), r.counts)
	}
	if db == "mariadb" {
		_, _ = conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+table)
	}
}

// load fills the punch table: every employee and day, with the
// department's window shaped by fate, plus 1% extra punches there. Indexes
// are built after the rows, as a DBA would for a bulk load.
func load(ctx context.Context, db *sqldb.DB, table string) int {
	text, tm, auto := "TEXT", "TEXT", "INTEGER PRIMARY KEY"
	if db.Dialect.Name() == sqldb.MySQL {
		text, tm, auto = "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "DATETIME", "BIGINT AUTO_INCREMENT PRIMARY KEY"
	}
	_, _ = db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table)
	_, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s (id %s, employee_id %s NOT NULL, punch_time %s NOT NULL,
		direction %s NOT NULL, device_id %s NOT NULL, source %s NOT NULL, source_key %s NOT NULL, imported_at %s NOT NULL)`,
		table, auto, text, tm, text, text, text, text, tm))
	check(err)
	const perStmt = 1000
	stmtSQL := fmt.Sprintf("INSERT INTO %s (employee_id, punch_time, direction, device_id, source, source_key, imported_at) VALUES ", table) +
		strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?),", perStmt), ",")
	tx, err := db.BeginTx(ctx, nil)
	check(err)
	stmt, err := tx.PrepareContext(ctx, stmtSQL)
	check(err)
	args := make([]any, 0, 7*perStmt)
	now := db.Dialect.BindTime(time.Now(), sqldb.NaiveIn(time.UTC))
	total, inTx := 0, 0
	add := func(i int, when time.Time, dir, dev string) {
		args = append(args, gen.EmployeeID(i), db.Dialect.BindTime(when, sqldb.NaiveIn(time.UTC)), dir, dev, "gate", gen.AttendanceNo(i), now)
		if len(args) == cap(args) {
			_, err := stmt.ExecContext(ctx, args...)
			check(err)
			args = args[:0]
			total += perStmt
			inTx += perStmt
			if inTx >= 200000 {
				check(stmt.Close())
				check(tx.Commit())
				tx, err = db.BeginTx(ctx, nil)
				check(err)
				stmt, err = tx.PrepareContext(ctx, stmtSQL)
				check(err)
				inTx = 0
			}
		}
	}
	for d := 0; d < *days; d++ {
		inWindow := d >= *winStart && d < *winStart+*winDays
		for i := 0; i < *employees; i++ {
			shaped := inWindow && i%10 == dept
			for k := 0; k < 4; k++ {
				p := punchOf(i, d, k)
				if !shaped {
					add(i, p.when, p.dir, p.dev)
					continue
				}
				switch fate(i, d, k) {
				case 1: // missing
				case 2: // changed: direction or device
					if (i+d+k)%2 == 0 {
						add(i, p.when, map[string]string{"in": "out", "out": "in"}[p.dir], p.dev)
					} else {
						add(i, p.when, p.dir, "GATE-9")
					}
				default:
					add(i, p.when, p.dir, p.dev)
				}
				if k == 3 && (i*31+d*17)%25 == 0 { // ~1% extra: 4 punches a day, 1 in 25 days
					add(i, p.when.Add(40*time.Minute), "out", p.dev)
				}
			}
		}
	}
	for len(args) > 0 { // the tail, a row at a time
		one := fmt.Sprintf("INSERT INTO %s (employee_id, punch_time, direction, device_id, source, source_key, imported_at) VALUES (?,?,?,?,?,?,?)", table)
		_, err := tx.ExecContext(ctx, one, args[:7]...)
		check(err)
		args = args[7:]
		total++
	}
	check(stmt.Close())
	check(tx.Commit())
	_, err = db.ExecContext(ctx, fmt.Sprintf("CREATE UNIQUE INDEX %s_key ON %s (punch_time, employee_id, device_id)", table, table))
	check(err)
	if *employeeIndex {
		_, err = db.ExecContext(ctx, fmt.Sprintf("CREATE INDEX %s_employee_time ON %s (employee_id, punch_time)", table, table))
		check(err)
	}
	return total
}

type result struct {
	proc.Result
	counts string
}

// timed runs hrsync with --output json and keeps its counts.
func timed(name string, args ...string) result {
	pr, err := proc.Time(proc.Cmd(name, args...))
	check(err)
	r := result{Result: pr}
	var v struct {
		Counts map[string]int64 `json:"counts"`
	}
	if json.Unmarshal(pr.Stdout, &v) == nil {
		r.counts = fmt.Sprintf("%v exit=%d", v.Counts, pr.ExitCode)
	} else {
		r.counts = fmt.Sprintf("exit=%d", pr.ExitCode)
	}
	return r
}

func run(dir, name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	check(cmd.Run())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
