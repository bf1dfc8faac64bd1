//go:build !windows

// Command abbench compares two hrsync binaries, old and new, on the same
// generated data, alternating runs so that a burst of other work on a noisy
// machine falls on both: an import into a fresh embedded SQLite database,
// map-check of the same file, and (when they answer on 127.0.0.1) imports
// into fresh MariaDB and PostgreSQL tables. It prints the median wall and
// CPU seconds of each and new/old; it asserts nothing.
//
//	go build -o /tmp/hrsync-old ./cmd/hrsync   # on the old commit
//	go build -o /tmp/hrsync-new ./cmd/hrsync
//	go run ./internal/bench/abbench -old /tmp/hrsync-old -new /tmp/hrsync-new -rows 1000000 -repeat 5
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/internal/gen"
)

func main() {
	oldBin := flag.String("old", "", "the old hrsync binary")
	newBin := flag.String("new", "", "the new hrsync binary")
	rows := flag.Int("rows", 1000000, "punches to generate")
	employees := flag.Int("employees", 5000, "employees in the directory")
	repeat := flag.Int("repeat", 5, "runs of each binary per case")
	flag.Parse()
	if *oldBin == "" || *newBin == "" {
		fmt.Fprintln(os.Stderr, "abbench: -old and -new are required")
		os.Exit(2)
	}
	work, err := os.MkdirTemp("", "hrsync-abbench-")
	check(err)
	defer os.RemoveAll(work)
	check(gen.WriteFolder(work, *rows, *employees))

	cases := []struct {
		name, hrURL, command string
		needs                string // host:port that must answer
	}{
		{"import into SQLite", "sqlite://hr.db", "import", ""},
		{"map-check", "sqlite://hr.db", "map-check", ""},
		{"import into MariaDB", "mysql://root@127.0.0.1:3306/test", "import", "127.0.0.1:3306"},
		{"import into PostgreSQL", "postgres://root@127.0.0.1:5432/test?sslmode=disable", "import", "127.0.0.1:5432"},
	}
	fmt.Printf("%d punches, %d runs of each binary per case, alternating\n", *rows, *repeat)
	fmt.Printf("%-24s %10s %10s %10s %10s %8s\n", "case", "old wall", "new wall", "old CPU", "new CPU", "new/old")
	for ci, c := range cases {
		if c.needs != "" {
			conn, err := net.DialTimeout("tcp", c.needs, time.Second)
			if err != nil {
				fmt.Printf("%-24s skipped: %v\n", c.name, err)
				continue
			}
			conn.Close()
		}
		var wall, cpu [2][]time.Duration
		for i := range *repeat * 2 {
			which := i % 2
			if (i/2)%2 == 1 {
				which = 1 - which // old first, then new first, and so on
			}
			bin := []string{*oldBin, *newBin}[which]
			dir := filepath.Join(work, fmt.Sprintf("c%d-r%d", ci, i))
			check(os.MkdirAll(dir, 0o755))
			table := fmt.Sprintf("ab_punches_%d_%d_%d", os.Getpid(), ci, i)
			cfg := filepath.Join(dir, "hrsync.yaml")
			check(os.WriteFile(cfg, []byte(fmt.Sprintf(`timezone: Asia/Ho_Chi_Minh
hr:
  url: %s
  employees: { file: ../employees.csv }
  create_tables: true
  punches: { table: %s }
sources:
  gate:
    path: ../punches.csv
    format: { type: csv, delimiter: ",", encoding: utf-8 }
`, c.hrURL, table)+gen.MappingYAML(4)), 0o644))
			args := []string{c.command, "--quiet", "--config", cfg}
			if c.command == "import" {
				args = append(args, "--report", filepath.Join(dir, "report.csv"))
			}
			r, err := proc.Time(proc.Cmd(bin, args...))
			check(err)
			wall[which] = append(wall[which], r.Wall)
			cpu[which] = append(cpu[which], r.CPU)
			if c.needs != "" {
				dropTable(c.hrURL, table)
			}
			os.RemoveAll(dir)
		}
		ow, nw := median(wall[0]), median(wall[1])
		fmt.Printf("%-24s %9.2fs %9.2fs %9.2fs %9.2fs %8.3f\n", c.name, ow.Seconds(), nw.Seconds(),
			median(cpu[0]).Seconds(), median(cpu[1]).Seconds(), nw.Seconds()/ow.Seconds())
	}
}

// dropTable drops a case's table with the database's own client.
func dropTable(url, table string) {
	switch {
	case url[:5] == "mysql":
		proc.Run("mariadb", "-h", "127.0.0.1", "-u", "root", "test", "-e", "DROP TABLE IF EXISTS "+table)
	default:
		proc.Run("psql", "-h", "127.0.0.1", "-U", "root", "-d", "test", "-q", "-c", "SET client_min_messages = warning; DROP TABLE IF EXISTS "+table)
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "abbench:", err)
		os.Exit(1)
	}
}
