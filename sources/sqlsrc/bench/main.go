//go:build !windows

// Command bench measures databases on both sides of hrsync, running the
// built binary as a user would (peak RSS from the child's rusage):
//
//	(a) punches from a MariaDB source table into the embedded SQLite HR DB;
//	(b) punches from CSV into a MariaDB HR table, against MariaDB's own
//	    LOAD DATA LOCAL INFILE of the same file into a table with the same
//	    unique key;
//	(c) the same into PostgreSQL, against psql's \copy.
//
// (b) and (c) import into two HR tables: the one hrsync creates (seven
// columns) and a customer's table with just the file's four columns, which
// stores what the baseline stores. Runs alternate and repeat, and medians
// are compared, so that a burst of other work on the machine does not
// decide a ratio. Where /proc tells, it also prints the CPU the database
// server spent on each run.
//
// Data is generated at run time into a temp folder. It prints figures and
// asserts nothing. Needs MariaDB and PostgreSQL on 127.0.0.1 and the
// mariadb and psql clients.
//
//	go run ./sources/sqlsrc/bench -rows 1000000
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/internal/gen"
)

const (
	mysqlURL = "mysql://root@127.0.0.1:3306/test"
	pgURL    = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
)

func main() {
	rows := flag.Int("rows", 1000000, "punches to generate")
	employees := flag.Int("employees", 5000, "employees in the directory")
	repeat := flag.Int("repeat", 3, "runs of each import and baseline in (b) and (c); medians are printed")
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	if err := run(*rows, *employees, *repeat, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, employees, repeat int, keep bool) error {
	work, err := os.MkdirTemp("", "hrsync-dbbench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "hrsync")
	if err := proc.Run("go", "build", "-o", bin, "./cmd/hrsync"); err != nil {
		return err
	}
	if err := writeData(work, n, employees); err != nil {
		return err
	}
	csv := filepath.Join(work, "punches.csv")
	tag := fmt.Sprintf("%d", time.Now().Unix()%1e6)
	fmt.Printf("%-9s %-62s %7s %9s %9s %10s\n", "rows", "what", "wall s", "rows/s", "maxRSS MB", "server CPU s")

	// (a) MariaDB source table → embedded SQLite HR database.
	src := "bench_src_" + tag
	if err := mariadb(fmt.Sprintf(`CREATE TABLE %s (id BIGINT AUTO_INCREMENT PRIMARY KEY, ac_no VARCHAR(20), punched_at DATETIME, state VARCHAR(10), device VARCHAR(20));
LOAD DATA LOCAL INFILE '%s' INTO TABLE %s FIELDS TERMINATED BY ',' IGNORE 1 LINES (ac_no, punched_at, state, device);`, src, csv, src)); err != nil {
		return err
	}
	defer mariadb("DROP TABLE " + src)
	dirA := filepath.Join(work, "a")
	if err := writeConfig(dirA, work, `url: sqlite://hr.db`, fmt.Sprintf(`url: %s
    table: %s
    watermark: { column: id, kind: id }
    mapping:
      employee_key: ac_no
      time: punched_at
      direction: { column: state, codes: { in: [C/In], out: [C/Out] } }
      device: device`, mysqlURL, src)); err != nil {
		return err
	}
	configA := filepath.Join(dirA, "hrsync.yaml")
	report(n, "(a) MariaDB table -> SQLite HR, hrsync import", timed("mariadbd", proc.Cmd(bin, "import", "--quiet", "--config", configA)))
	report(n, "(a) again: watermark, nothing new", timed("mariadbd", proc.Cmd(bin, "import", "--quiet", "--config", configA)))

	ld := "bench_ld_" + tag
	defer mariadb("DROP TABLE IF EXISTS " + ld)
	err = compare(comparison{
		n: n, repeat: repeat, bin: bin, work: work, csv: csv, tag: "b" + tag,
		label: "(b) CSV -> MariaDB", url: mysqlURL, client: mariadb, server: "mariadbd",
		baselineTable: fmt.Sprintf(`DROP TABLE IF EXISTS %s; CREATE TABLE %s (employee_id VARCHAR(64) NOT NULL, punch_time DATETIME NOT NULL, direction VARCHAR(16), device_id VARCHAR(64) NOT NULL, UNIQUE KEY k (punch_time, employee_id, device_id))`, ld, ld),
		baselineLabel: "(b) mariadb LOAD DATA LOCAL INFILE IGNORE, same key",
		baseline: []string{"mariadb", "--local-infile=1", "-h127.0.0.1", "-uroot", "test", "-e",
			fmt.Sprintf(`LOAD DATA LOCAL INFILE '%s' IGNORE INTO TABLE %s FIELDS TERMINATED BY ',' IGNORE 1 LINES (employee_id, punch_time, direction, device_id)`, csv, ld)},
	})
	if err != nil {
		return err
	}
	cp := "bench_cp_" + tag
	defer psql("DROP TABLE IF EXISTS " + cp)
	return compare(comparison{
		n: n, repeat: repeat, bin: bin, work: work, csv: csv, tag: "c" + tag,
		label: "(c) CSV -> PostgreSQL", url: pgURL, client: psql, server: "postgres",
		baselineTable: fmt.Sprintf(`DROP TABLE IF EXISTS %s; CREATE TABLE %s (employee_id TEXT NOT NULL, punch_time TIMESTAMP NOT NULL, direction TEXT, device_id TEXT NOT NULL, UNIQUE (punch_time, employee_id, device_id))`, cp, cp),
		baselineLabel: `(c) psql \copy, same key (not idempotent)`,
		baseline: []string{"psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c",
			fmt.Sprintf(`\copy %s (employee_id, punch_time, direction, device_id) FROM '%s' WITH (FORMAT csv, HEADER true)`, cp, csv)},
	})
}

// hrTables are the HR punch tables hrsync imports into: its own, and a
// customer's table with the file's four columns and the same key.
var hrTables = []struct{ label, columns string }{
	{"hrsync's table (7 columns)", ""},
	{"table of the file's 4 columns", `
    columns: { source: "", source_key: "", imported_at: "" }`},
}

// comparison is one database's hrsync imports and its own load of the CSV.
type comparison struct {
	n, repeat           int
	bin, work, csv, tag string
	label, url          string
	client              func(sql string) error
	server              string // process name, for its CPU time
	baselineTable       string // SQL that makes the baseline's table afresh
	baselineLabel       string
	baseline            []string // the baseline's command line
}

// compare runs each hrsync import (into a fresh table) and the baseline in
// turn, repeat times, and prints the medians and their ratios.
func compare(c comparison) error {
	configs := make([]string, len(hrTables))
	tables := make([]string, len(hrTables))
	for i, t := range hrTables {
		tables[i] = fmt.Sprintf("bench_hr_%s_%d", c.tag, i)
		dir := filepath.Join(c.work, fmt.Sprintf("%s-%d", c.tag, i))
		hr := fmt.Sprintf("url: %s\n  create_tables: true\n  punches:\n    table: %s%s", c.url, tables[i], t.columns)
		if err := writeConfig(dir, c.work, hr, csvSource(c.csv)); err != nil {
			return err
		}
		configs[i] = filepath.Join(dir, "hrsync.yaml")
		defer c.client("DROP TABLE IF EXISTS " + tables[i])
	}
	imports := make([][]result, len(hrTables))
	var base []result
	for r := 0; r < c.repeat; r++ {
		for i := range hrTables {
			if err := c.client("DROP TABLE IF EXISTS " + tables[i]); err != nil {
				return err
			}
			imports[i] = append(imports[i], timed(c.server, proc.Cmd(c.bin, "import", "--quiet", "--config", configs[i])))
		}
		if err := c.client(c.baselineTable); err != nil {
			return err
		}
		base = append(base, timed(c.server, proc.Cmd(c.baseline[0], c.baseline[1:]...)))
	}
	for i, t := range hrTables {
		report(c.n, fmt.Sprintf("%s, %s", c.label, t.label), median(imports[i]))
		if i == 0 {
			report(c.n, c.label[:3]+" again, all duplicates", timed(c.server, proc.Cmd(c.bin, "import", "--quiet", "--config", configs[i])))
		}
	}
	b := median(base)
	report(c.n, c.baselineLabel, b)
	for i, t := range hrTables {
		fmt.Printf("%-9d %-62s %6.2fx\n", c.n, fmt.Sprintf("%s ratio, %s / baseline", c.label[:3], t.label), median(imports[i]).Wall.Seconds()/b.Wall.Seconds())
	}
	return nil
}

func writeData(dir string, n, employees int) error {
	emp, err := os.Create(filepath.Join(dir, "employees.csv"))
	if err != nil {
		return err
	}
	if err := gen.WriteEmployeesCSV(emp, employees); err != nil {
		return err
	}
	emp.Close()
	pf, err := os.Create(filepath.Join(dir, "punches.csv"))
	if err != nil {
		return err
	}
	defer pf.Close()
	_, err = gen.WritePunchesCSV(pf, gen.Spec{Employees: employees, Start: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Days: 61, Punches: n, Seed: 1})
	return err
}

func csvSource(path string) string {
	return fmt.Sprintf(`path: %s
    format: { type: csv, delimiter: ",", encoding: utf-8 }
`, path) + gen.MappingYAML(4)
}

func writeConfig(dir, work, hr, source string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	yaml := fmt.Sprintf(`timezone: UTC
hr:
  %s
  employees: { file: %s }
sources:
  gate:
    %s
`, hr, filepath.Join(work, "employees.csv"), source)
	return os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(yaml), 0o644)
}

// result is one measured run, with the CPU the database server spent
// meanwhile (negative when /proc cannot tell).
type result struct {
	proc.Result
	ServerCPU time.Duration
}

// timed runs cmd, measuring it and the CPU of the server process named server.
func timed(server string, cmd *exec.Cmd) result {
	before := serverCPU(server)
	r, err := proc.Time(cmd)
	if err != nil || r.ExitCode != 0 {
		fmt.Fprintf(os.Stderr, "%s: exit %d %v\n", cmd.Path, r.ExitCode, err)
	}
	// PostgreSQL's backend for the run has exited; give the postmaster a
	// moment to reap it, so its CPU is counted.
	time.Sleep(200 * time.Millisecond)
	after := serverCPU(server)
	res := result{Result: r, ServerCPU: -1}
	if before >= 0 && after >= 0 {
		res.ServerCPU = after - before
	}
	return res
}

// serverCPU is the CPU time the oldest process named name has used, with
// that of its reaped children (PostgreSQL's backends); -1 without /proc.
func serverCPU(name string) time.Duration {
	out, err := exec.Command("pgrep", "-o", "-x", name).Output()
	if err != nil {
		return -1
	}
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(out)) + "/stat")
	if err != nil {
		return -1
	}
	// The fields after the command name (which may hold spaces) start at
	// the state, field 3; utime, stime, cutime, cstime are fields 14-17.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	var ticks int64
	for _, f := range fields[11:15] {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return -1
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

func median(rs []result) result {
	sorted := slices.Clone(rs)
	slices.SortFunc(sorted, func(a, b result) int { return int(a.Wall - b.Wall) })
	return sorted[len(sorted)/2]
}

func report(n int, what string, r result) {
	server := "-"
	if r.ServerCPU >= 0 {
		server = fmt.Sprintf("%.2f", r.ServerCPU.Seconds())
	}
	fmt.Printf("%-9d %-62s %7.2f %9.0f %9.1f %10s\n", n, what, r.Wall.Seconds(), float64(n)/r.Wall.Seconds(), r.MaxRSSMB(), server)
}

func mariadb(sql string) error {
	return proc.Run("mariadb", "--local-infile=1", "-h127.0.0.1", "-uroot", "test", "-e", sql)
}

func psql(sql string) error {
	return proc.Run("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c", sql)
}
