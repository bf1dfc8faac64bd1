//go:build !windows

// Command bench measures `hrsync resync --prune` of one department (1,000
// employees) over 31 days against an HR punch table of 5 million rows, on
// SQLite, MariaDB and PostgreSQL, with the source a 5-million-row export
// (every employee, every day; -source dept: only the department's window).
// In the department's window the HR table lacks 5% of the source's
// punches, holds 1% with another direction or device, and 1% extra.
//
// Each round runs, in an order that alternates between rounds, `resync
// --dry-run` and `resync --prune` of the binary built from this tree and
// (with -old) of another binary, and the slice read as a plain SQL query;
// after each real run the department's window is put back as it was, so
// every real run has the same work. It prints each figure's median over
// the rounds (wall and CPU time: the machine may be shared) and the peak
// RSS; it asserts nothing. The generated data lives
// in a temp folder, or in -work, where it is reused by the next run.
//
//	go run ./importer/resync/bench -old /tmp/hrsync-before sqlite mariadb postgres
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/hrsync/hrsync/commands"
	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/internal/gen"
	"github.com/hrsync/hrsync/internal/sqldb"
)

var (
	employees  = flag.Int("employees", 10000, "employees (ten departments)")
	days       = flag.Int("days", 125, "days of punches in the HR table (4 a day per employee)")
	winStart   = flag.Int("window-start", 60, "first day of the resync window")
	winDays    = flag.Int("window-days", 31, "days in the resync window")
	sourceKind = flag.String("source", "export", "the source file: export (every employee, every day), window (every employee, the window's days) or dept (the department's window)")
	mysqlURL   = flag.String("mysql", "mysql://root@127.0.0.1:3306/test", "MariaDB URL")
	pgURL      = flag.String("postgres", "postgres://root@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL")
	oldBin     = flag.String("old", "", "another hrsync binary to run alternately with this tree's (the one before a change)")
	rounds     = flag.Int("rounds", 3, "rounds; each figure is the median over them")
	workDir    = flag.String("work", "", "work folder, kept and reused (default: a temp folder, removed)")
	cpuProfile = flag.String("cpuprofile", "", "write a CPU profile of one in-process `resync --dry-run` (first database) to this file")
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
	work := *workDir
	if work == "" {
		var err error
		work, err = os.MkdirTemp("", "hrsync-resync-bench-")
		check(err)
		defer os.RemoveAll(work)
	} else {
		check(os.MkdirAll(work, 0o755))
	}
	work, err := filepath.Abs(work)
	check(err)
	repo, err := os.Getwd()
	check(err)
	bin := filepath.Join(work, "hrsync")
	run(repo, "go", "build", "-o", bin, "./cmd/hrsync")
	emp, err := os.Create(filepath.Join(work, "employees.csv"))
	check(err)
	check(gen.WriteEmployeesCSV(emp, *employees))
	emp.Close()
	n := writeSource(filepath.Join(work, "punches-"+*sourceKind+".csv"))
	fmt.Printf("source file: %d punches (%s); HR table: %d employees x %d days x 4 punches; window: %d days from day %d; %d rounds\n",
		n, *sourceKind, *employees, *days, *winDays, *winStart, *rounds)
	dbs := flag.Args()
	if len(dbs) == 0 {
		dbs = []string{"sqlite", "mariadb", "postgres"}
	}
	for i, db := range dbs {
		measure(work, bin, db, i == 0)
	}
}

// writeSource writes the source file unless a file of the same settings
// is there already, and returns its punch count.
func writeSource(path string) int {
	sig := fmt.Sprintf("%d %d %d %d %s", *employees, *days, *winStart, *winDays, *sourceKind)
	if b, err := os.ReadFile(path + ".done"); err == nil {
		var n int
		var got string
		if before, after, ok := strings.Cut(string(b), "\n"); ok {
			got = before
			fmt.Sscan(after, &n)
		}
		if got == sig {
			return n
		}
	}
	f, err := os.Create(path)
	check(err)
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "AC-No,Time,State,Device")
	first, last := *winStart, *winStart+*winDays
	if *sourceKind == "export" {
		first, last = 0, *days
	}
	n := 0
	for d := first; d < last; d++ {
		for i := 0; i < *employees; i++ {
			if i%10 != dept && *sourceKind == "dept" {
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
	check(os.WriteFile(path+".done", []byte(fmt.Sprintf("%s\n%d\n", sig, n)), 0o644))
	return n
}

// figures are one binary's (or the SQL query's) measurements over the rounds.
type figures struct {
	wall []time.Duration
	cpu  []time.Duration
	rss  []float64
	last string
}

func (f *figures) add(r result) {
	f.wall = append(f.wall, r.Wall)
	f.cpu = append(f.cpu, r.CPU)
	f.rss = append(f.rss, r.MaxRSSMB())
	f.last = r.counts
}

func (f *figures) String() string {
	if len(f.wall) == 0 {
		return "-"
	}
	w := slices.Clone(f.wall)
	slices.Sort(w)
	c := slices.Clone(f.cpu)
	slices.Sort(c)
	m := slices.Clone(f.rss)
	slices.Sort(m)
	var all []string
	for _, d := range f.wall {
		all = append(all, fmt.Sprintf("%.2f", d.Seconds()))
	}
	rss, cpu := "-", "-"
	if m[len(m)-1] > 0 {
		rss, cpu = fmt.Sprintf("%.0f", m[len(m)-1]), fmt.Sprintf("%.2f", c[len(c)/2].Seconds())
	}
	return fmt.Sprintf("%8.2f %8s %10s   (%s)", w[len(w)/2].Seconds(), cpu, rss, strings.Join(all, " "))
}

func measure(work, bin, db string, first bool) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(work, "hr.db")
	table := "attendance_punches"
	switch db {
	case "mariadb":
		url, table = *mysqlURL, "resync_bench_punches"
	case "postgres":
		url, table = *pgURL, "resync_bench_punches"
	}
	conn, err := sqldb.Open(ctx, url, sqldb.Credentials{})
	if err == nil {
		err = conn.PingContext(ctx)
	}
	if err != nil {
		fmt.Printf("%s: not reachable: %v\n", db, err)
		return
	}
	defer conn.Close()
	t0 := time.Now()
	rows, fresh := load(ctx, conn, work, db, table)
	if fresh {
		fmt.Printf("%s: loaded %d punches in %.1f s\n", db, rows, time.Since(t0).Seconds())
	} else {
		fmt.Printf("%s: reusing the table of %d punches\n", db, rows)
	}
	cfg := filepath.Join(work, "hrsync-"+db+".yaml")
	check(os.WriteFile(cfg, []byte(fmt.Sprintf(`timezone: UTC
data_dir: data-%s
hr:
  url: %s
  employees: { file: employees.csv }
  punches: { table: %s }
sources:
  gate:
    path: punches-%s.csv
    format: { type: csv, delimiter: ",", encoding: utf-8 }
    mapping:
      employee_key: { column: AC-No }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
      direction: { column: State, codes: { in: [in], out: [out] } }
      device: { column: Device }
`, db, url, table, *sourceKind)), 0o644))
	from := start.AddDate(0, 0, *winStart).Format("2006-01-02")
	to := start.AddDate(0, 0, *winStart+*winDays-1).Format("2006-01-02")
	args := []string{"resync", "--config", cfg, "--department", "dept-03", "--from", from, "--to", to, "--prune", "--output", "json"}
	dry := append(slices.Clone(args), "--dry-run")
	if first && *cpuProfile != "" {
		profile(dry)
	}
	type binary struct{ name, path string }
	bins := []binary{{"new", bin}}
	if *oldBin != "" {
		bins = append(bins, binary{"old", *oldBin})
	}
	fig := map[string]*figures{}
	get := func(k string) *figures {
		if fig[k] == nil {
			fig[k] = &figures{}
		}
		return fig[k]
	}
	for r := 0; r < *rounds; r++ {
		order := slices.Clone(bins)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, b := range order {
			get(b.name + " dry-run").add(timed(b.path, dry...))
		}
		get("plain SQL read of the slice").add(sliceRead(ctx, conn, table))
		for _, b := range order {
			get(b.name + " resync --prune").add(timed(b.path, args...))
			reshape(ctx, conn, table)
		}
	}
	fmt.Printf("%-8s %-30s %8s %8s %10s   %s\n", "db", "what", "median s", "CPU s", "maxRSS MB", "(each round, s)")
	for _, what := range []string{"old dry-run", "new dry-run", "plain SQL read of the slice", "old resync --prune", "new resync --prune"} {
		if f := fig[what]; f != nil {
			fmt.Printf("%-8s %-30s %s\n", db, what, f)
		}
	}
	for _, what := range []string{"old dry-run", "new dry-run", "old resync --prune", "new resync --prune"} {
		if f := fig[what]; f != nil {
			fmt.Printf("%-8s %-30s counts %s\n", db, what, f.last)
		}
	}
}

// profile runs one dry run in this process under the CPU profiler.
func profile(args []string) {
	f, err := os.Create(*cpuProfile)
	check(err)
	check(pprof.StartCPUProfile(f))
	t0 := time.Now()
	code := commands.Execute(args, strings.NewReader(""), io.Discard, os.Stderr)
	pprof.StopCPUProfile()
	check(f.Close())
	fmt.Printf("profile: in-process dry run exit %d in %.2f s, written to %s\n", code, time.Since(t0).Seconds(), *cpuProfile)
}

// deptIDs are the department's employee ids.
func deptIDs() []any {
	var ids []any
	for i := dept; i < *employees; i += 10 {
		ids = append(ids, gen.EmployeeID(i))
	}
	return ids
}

func inList(db *sqldb.DB, first, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = db.Dialect.Placeholder(first + i)
	}
	return strings.Join(ph, ",")
}

func windowArgs(db *sqldb.DB) (from, to any) {
	return db.Dialect.BindTime(start.AddDate(0, 0, *winStart), sqldb.NaiveIn(time.UTC)),
		db.Dialect.BindTime(start.AddDate(0, 0, *winStart+*winDays), sqldb.NaiveIn(time.UTC))
}

// sliceRead reads what resync compares with, as one plain query: the
// department's punches in the window, every column resync reads.
func sliceRead(ctx context.Context, db *sqldb.DB, table string) result {
	ids := deptIDs()
	from, to := windowArgs(db)
	q := fmt.Sprintf("SELECT employee_id, punch_time, device_id, direction, source, source_key FROM %s WHERE employee_id IN (%s) AND punch_time >= %s AND punch_time < %s",
		table, inList(db, 1, len(ids)), db.Dialect.Placeholder(len(ids)+1), db.Dialect.Placeholder(len(ids)+2))
	t0 := time.Now()
	rows, err := db.QueryContext(ctx, q, append(ids, from, to)...)
	check(err)
	n := 0
	var a, b, c, d, e, f any
	for rows.Next() {
		check(rows.Scan(&a, &b, &c, &d, &e, &f))
		n++
	}
	check(rows.Err())
	rows.Close()
	return result{Result: proc.Result{Wall: time.Since(t0)}, counts: fmt.Sprintf("%d rows", n)}
}

// loadSig is what a kept work folder's tables were loaded with.
func loadSig() string {
	return fmt.Sprintf("%d %d %d %d %v", *employees, *days, *winStart, *winDays, *employeeIndex)
}

// load fills the punch table, or reuses the one a kept work folder's last
// run left (marked by a file beside the data): every employee and day,
// with the department's window shaped by fate, plus 1% extra punches
// there. Indexes are built after the rows, as a DBA would for a bulk load.
func load(ctx context.Context, db *sqldb.DB, work, name, table string) (int, bool) {
	mark := filepath.Join(work, name+".loaded")
	if b, err := os.ReadFile(mark); err == nil {
		sig, count, _ := strings.Cut(string(b), "\n")
		var n int
		if sig == loadSig() && db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n) == nil && fmt.Sprint(n) == strings.TrimSpace(count) {
			return n, false
		}
	}
	text, tm, auto := "TEXT", "TEXT", "INTEGER PRIMARY KEY"
	switch db.Dialect.Name() {
	case sqldb.MySQL:
		text, tm, auto = "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "DATETIME", "BIGINT AUTO_INCREMENT PRIMARY KEY"
	case sqldb.Postgres:
		text, tm, auto = "TEXT", "TIMESTAMP", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
	}
	_, _ = db.ExecContext(ctx, "DROP TABLE IF EXISTS "+table)
	_, err := db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s (id %s, employee_id %s NOT NULL, punch_time %s NOT NULL,
		direction %s NOT NULL, device_id %s NOT NULL, source %s NOT NULL, source_key %s NOT NULL, imported_at %s NOT NULL)`,
		table, auto, text, tm, text, text, text, text, tm))
	check(err)
	ins := newInserter(ctx, db, table)
	for d := 0; d < *days; d++ {
		for i := 0; i < *employees; i++ {
			shaped := d >= *winStart && d < *winStart+*winDays && i%10 == dept
			addDay(ins, i, d, shaped)
		}
	}
	total := ins.finish()
	_, err = db.ExecContext(ctx, fmt.Sprintf("CREATE UNIQUE INDEX %s_key ON %s (punch_time, employee_id, device_id)", table, table))
	check(err)
	if *employeeIndex {
		_, err = db.ExecContext(ctx, fmt.Sprintf("CREATE INDEX %s_employee_time ON %s (employee_id, punch_time)", table, table))
		check(err)
	}
	if db.Dialect.Name() == sqldb.Postgres {
		_, err = db.ExecContext(ctx, "ANALYZE "+table)
		check(err)
	}
	check(os.WriteFile(mark, []byte(fmt.Sprintf("%s\n%d\n", loadSig(), total)), 0o644))
	return total, true
}

// addDay adds employee i's punches of day d as the HR table holds them.
func addDay(ins *inserter, i, d int, shaped bool) {
	for k := 0; k < 4; k++ {
		p := punchOf(i, d, k)
		if !shaped {
			ins.add(i, p.when, p.dir, p.dev)
			continue
		}
		switch fate(i, d, k) {
		case 1: // missing
		case 2: // changed: direction or device
			if (i+d+k)%2 == 0 {
				ins.add(i, p.when, map[string]string{"in": "out", "out": "in"}[p.dir], p.dev)
			} else {
				ins.add(i, p.when, p.dir, "GATE-9")
			}
		default:
			ins.add(i, p.when, p.dir, p.dev)
		}
		if k == 3 && (i*31+d*17)%25 == 0 { // ~1% extra: 4 punches a day, 1 in 25 days
			ins.add(i, p.when.Add(40*time.Minute), "out", p.dev)
		}
	}
}

// reshape puts the department's window back as load made it, after a real
// resync corrected it.
func reshape(ctx context.Context, db *sqldb.DB, table string) {
	ids := deptIDs()
	from, to := windowArgs(db)
	_, err := db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE employee_id IN (%s) AND punch_time >= %s AND punch_time < %s",
		table, inList(db, 1, len(ids)), db.Dialect.Placeholder(len(ids)+1), db.Dialect.Placeholder(len(ids)+2)), append(ids, from, to)...)
	check(err)
	ins := newInserter(ctx, db, table)
	for d := *winStart; d < *winStart+*winDays; d++ {
		for i := dept; i < *employees; i += 10 {
			addDay(ins, i, d, true)
		}
	}
	ins.finish()
}

// inserter adds punches in multi-row INSERTs, committing every 200,000.
type inserter struct {
	ctx         context.Context
	db          *sqldb.DB
	table       string
	tx          *sql.Tx
	stmt        *sql.Stmt
	stmtSQL     string
	args        []any
	now         any
	total, inTx int
}

const perStmt = 1000

func newInserter(ctx context.Context, db *sqldb.DB, table string) *inserter {
	var rows []string
	for r := 0; r < perStmt; r++ {
		rows = append(rows, "("+inList(db, r*7+1, 7)+")")
	}
	ins := &inserter{ctx: ctx, db: db, table: table, args: make([]any, 0, 7*perStmt),
		now:     db.Dialect.BindTime(time.Now(), sqldb.NaiveIn(time.UTC)),
		stmtSQL: fmt.Sprintf("INSERT INTO %s (employee_id, punch_time, direction, device_id, source, source_key, imported_at) VALUES ", table) + strings.Join(rows, ",")}
	ins.begin()
	return ins
}

func (ins *inserter) begin() {
	var err error
	ins.tx, err = ins.db.BeginTx(ins.ctx, nil)
	check(err)
	ins.stmt, err = ins.tx.PrepareContext(ins.ctx, ins.stmtSQL)
	check(err)
	ins.inTx = 0
}

func (ins *inserter) add(i int, when time.Time, dir, dev string) {
	ins.args = append(ins.args, gen.EmployeeID(i), ins.db.Dialect.BindTime(when, sqldb.NaiveIn(time.UTC)), dir, dev, "gate", gen.AttendanceNo(i), ins.now)
	if len(ins.args) < cap(ins.args) {
		return
	}
	_, err := ins.stmt.ExecContext(ins.ctx, ins.args...)
	check(err)
	ins.args = ins.args[:0]
	ins.total += perStmt
	if ins.inTx += perStmt; ins.inTx >= 200000 {
		check(ins.stmt.Close())
		check(ins.tx.Commit())
		ins.begin()
	}
}

// finish inserts the tail, a row at a time, commits and returns the count.
func (ins *inserter) finish() int {
	one := fmt.Sprintf("INSERT INTO %s (employee_id, punch_time, direction, device_id, source, source_key, imported_at) VALUES (%s)", ins.table, inList(ins.db, 1, 7))
	for args := ins.args; len(args) > 0; args = args[7:] {
		_, err := ins.tx.ExecContext(ins.ctx, one, args[:7]...)
		check(err)
		ins.total++
	}
	ins.args = ins.args[:0]
	check(ins.stmt.Close())
	check(ins.tx.Commit())
	return ins.total
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
