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
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	if err := run(*rows, *employees, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, employees int, keep bool) error {
	work, err := os.MkdirTemp("", "hrsync-dbbench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "hrsync")
	if err := sh("go", "build", "-o", bin, "./cmd/hrsync"); err != nil {
		return err
	}
	if err := writeData(work, n, employees); err != nil {
		return err
	}
	csv := filepath.Join(work, "punches.csv")
	tag := fmt.Sprintf("%d", time.Now().Unix()%1e6)
	fmt.Printf("%-9s %-52s %9s %11s %9s\n", "rows", "what", "wall s", "rows/s", "maxRSS MB")

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
	report(n, "(a) MariaDB table -> SQLite HR, hrsync import", timed(bin, "import", "--quiet", "--config", filepath.Join(dirA, "hrsync.yaml")))
	report(n, "(a) again: watermark, nothing new", timed(bin, "import", "--quiet", "--config", filepath.Join(dirA, "hrsync.yaml")))

	// (b) CSV → MariaDB HR table, against LOAD DATA LOCAL INFILE.
	hrTable := "bench_hr_" + tag
	dirB := filepath.Join(work, "b")
	if err := writeConfig(dirB, work, fmt.Sprintf("url: %s\n  create_tables: true\n  punches: { table: %s }", mysqlURL, hrTable), csvSource(csv)); err != nil {
		return err
	}
	defer mariadb("DROP TABLE IF EXISTS " + hrTable)
	b := timed(bin, "import", "--quiet", "--config", filepath.Join(dirB, "hrsync.yaml"))
	report(n, "(b) CSV -> MariaDB HR table, hrsync import", b)
	report(n, "(b) again: all duplicates", timed(bin, "import", "--quiet", "--config", filepath.Join(dirB, "hrsync.yaml")))
	ld := "bench_ld_" + tag
	if err := mariadb(fmt.Sprintf(`CREATE TABLE %s (employee_id VARCHAR(64) NOT NULL, punch_time DATETIME NOT NULL, direction VARCHAR(16), device_id VARCHAR(64) NOT NULL, UNIQUE KEY k (punch_time, employee_id, device_id))`, ld)); err != nil {
		return err
	}
	defer mariadb("DROP TABLE " + ld)
	l := timed("mariadb", "--local-infile=1", "-h127.0.0.1", "-uroot", "test", "-e",
		fmt.Sprintf(`LOAD DATA LOCAL INFILE '%s' IGNORE INTO TABLE %s FIELDS TERMINATED BY ',' IGNORE 1 LINES (employee_id, punch_time, direction, device_id)`, csv, ld))
	report(n, "(b) mariadb LOAD DATA LOCAL INFILE IGNORE, same key", l)
	fmt.Printf("%-9d %-52s %9.2fx\n", n, "(b) ratio hrsync / LOAD DATA", b.Wall.Seconds()/l.Wall.Seconds())

	// (c) CSV → PostgreSQL HR table, against \copy.
	pgTable := "bench_hr_" + tag
	dirC := filepath.Join(work, "c")
	if err := writeConfig(dirC, work, fmt.Sprintf("url: %s\n  create_tables: true\n  punches: { table: %s }", pgURL, pgTable), csvSource(csv)); err != nil {
		return err
	}
	defer psql("DROP TABLE IF EXISTS " + pgTable)
	c := timed(bin, "import", "--quiet", "--config", filepath.Join(dirC, "hrsync.yaml"))
	report(n, "(c) CSV -> PostgreSQL HR table, hrsync import", c)
	report(n, "(c) again: all duplicates", timed(bin, "import", "--quiet", "--config", filepath.Join(dirC, "hrsync.yaml")))
	cp := "bench_cp_" + tag
	if err := psql(fmt.Sprintf(`CREATE TABLE %s (employee_id TEXT NOT NULL, punch_time TIMESTAMP NOT NULL, direction TEXT, device_id TEXT NOT NULL, UNIQUE (punch_time, employee_id, device_id))`, cp)); err != nil {
		return err
	}
	defer psql("DROP TABLE " + cp)
	p := timed("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c",
		fmt.Sprintf(`\copy %s (employee_id, punch_time, direction, device_id) FROM '%s' WITH (FORMAT csv, HEADER true)`, cp, csv))
	report(n, "(c) psql \\copy, same unique key (not idempotent)", p)
	fmt.Printf("%-9d %-52s %9.2fx\n", n, "(c) ratio hrsync / \\copy", c.Wall.Seconds()/p.Wall.Seconds())
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

type result = proc.Result

func timed(name string, args ...string) result {
	r, err := proc.Time(proc.Cmd(name, args...))
	if err != nil || r.ExitCode != 0 {
		fmt.Fprintf(os.Stderr, "%s: exit %d %v\n", name, r.ExitCode, err)
	}
	return r
}

func report(n int, what string, r result) {
	fmt.Printf("%-9d %-52s %9.2f %11.0f %9.1f\n", n, what, r.Wall.Seconds(), float64(n)/r.Wall.Seconds(), r.MaxRSSMB())
}

func mariadb(sql string) error {
	return sh("mariadb", "--local-infile=1", "-h127.0.0.1", "-uroot", "test", "-e", sql)
}

func psql(sql string) error {
	return sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c", sql)
}

func sh(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
