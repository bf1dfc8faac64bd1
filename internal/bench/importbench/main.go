//go:build !windows

// Command importbench measures hrsync against its baselines on generated
// punch exports, running each contender in turn, round after round, so
// that a burst of other work on a shared machine falls on all of them, and
// printing medians. It prints figures; it asserts nothing.
//
// Case import: `hrsync import` of the CSV into a fresh embedded SQLite HR
// database (mapping, matching and the per-row report included) against
// the sqlite3 CLI's .import of the same rows, as hrsync stores them, into
// a fresh database with the same schema: the CREATE TABLE and CREATE
// UNIQUE INDEX statements are read from the database hrsync made, and the
// CLI runs with hrsync's pragmas (journal_mode=WAL, synchronous=NORMAL,
// cache_size=-8192). The CLI imports in one transaction; hrsync commits
// every 5,000 rows. The CSV the CLI reads carries the id column too (the
// table's rowid, which hrsync lets SQLite assign). A second CLI line uses
// the CLI's defaults (rollback journal, synchronous=FULL), for reference.
//
// Case map-check: `hrsync map-check` of the same file against `hrsync
// import --dry-run --report` of it (both with the directory from a file,
// no HR database yet).
//
// With -old, an hrsync binary built from another commit runs in the same
// rounds, so before and after are measured alike.
//
//	go build -o /tmp/hrsync-old ./cmd/hrsync   # at the old commit
//	go run ./internal/bench/importbench -old /tmp/hrsync-old -rows 100000,1000000,5000000 -repeat 5
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

	"github.com/hrsync/hrsync/internal/bench/proc"
	"github.com/hrsync/hrsync/internal/gen"
)

// cliPragmas are hrsync's own SQLite settings (sqldb.SQLitePragmas, less
// busy_timeout, which a lone writer never waits on).
const cliPragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-8192;"

func main() {
	rowsFlag := flag.String("rows", "100000,1000000", "comma-separated punch counts to measure")
	employees := flag.Int("employees", 5000, "employees in the directory")
	repeat := flag.Int("repeat", 3, "rounds per row count (the median is printed)")
	cases := flag.String("case", "import,map-check", "what to measure: import, map-check or both")
	bin := flag.String("bin", "", "the hrsync binary to measure (default: built from ./cmd/hrsync)")
	old := flag.String("old", "", "an older hrsync binary to measure in the same rounds")
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	work, err := os.MkdirTemp("", "hrsync-bench-")
	check(err)
	if !*keep {
		defer os.RemoveAll(work)
	}
	if *bin == "" {
		*bin = filepath.Join(work, "hrsync")
		run("go", "build", "-o", *bin, "./cmd/hrsync")
	}
	bins := []named{{"new", *bin}}
	if *old != "" {
		bins = append(bins, named{"old", *old})
	}
	fmt.Printf("%d rounds per row count, medians; the contenders of a round run one after another\n", *repeat)
	fmt.Printf("%-9s %-44s %8s %8s %10s %8s\n", "rows", "what", "wall s", "CPU s", "rows/s", "RSS MB")
	for _, f := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		dir := filepath.Join(work, fmt.Sprintf("r%d", n))
		check(gen.WriteFolder(dir, n, *employees))
		for _, c := range strings.Split(*cases, ",") {
			switch strings.TrimSpace(c) {
			case "import":
				measureImport(dir, bins, n, *repeat)
			case "map-check":
				measureMapCheck(dir, bins, n, *repeat)
			default:
				check(fmt.Errorf("-case %q: want import or map-check", c))
			}
		}
	}
}

type named struct{ name, path string }

// contender is one command measured round after round; fresh prepares
// its folder before each run.
type contender struct {
	what  string
	fresh func(round int) *exec.Cmd
	runs  []proc.Result
}

func measureImport(dir string, bins []named, n, repeat int) {
	// One import first, to read hrsync's schema and its stored rows.
	seed := filepath.Join(dir, "seed")
	timed(importCmd(seed, bins[0].path))
	schema := output("sqlite3", filepath.Join(seed, "hr.db"), ".schema attendance_punches")
	mapped := filepath.Join(dir, "mapped.csv")
	run("sqlite3", "-csv", filepath.Join(seed, "hr.db"), ".output "+mapped,
		"SELECT id, employee_id, punch_time, direction, device_id, source, source_key, imported_at FROM attendance_punches ORDER BY id")
	var cs []*contender
	for _, b := range bins {
		cs = append(cs, &contender{what: "hrsync import (" + b.name + ")", fresh: func(round int) *exec.Cmd {
			return importCmd(filepath.Join(dir, fmt.Sprintf("%s-%d", b.name, round)), b.path)
		}})
	}
	cli := func(what, pragmas string) *contender {
		return &contender{what: what, fresh: func(round int) *exec.Cmd {
			db := filepath.Join(dir, fmt.Sprintf("cli-%d.db", round))
			removeDB(db)
			check(exec.Command("sqlite3", db, pragmas+schema).Run())
			return exec.Command("sqlite3", "-cmd", pragmas, db, ".import --csv "+mapped+" attendance_punches")
		}}
	}
	same := cli("sqlite3 .import, same schema and pragmas", cliPragmas)
	cs = append(cs, same, cli("sqlite3 .import, same schema, CLI defaults", ""))
	rounds(cs, repeat, func() { removeRuns(dir) })
	for _, c := range cs {
		report(n, c)
	}
	for _, c := range cs[:len(bins)] {
		ratio(n, c, same)
	}
}

func measureMapCheck(dir string, bins []named, n, repeat int) {
	var cs, dry []*contender
	for _, b := range bins {
		mc := &contender{what: "hrsync map-check (" + b.name + ")", fresh: func(round int) *exec.Cmd {
			d := runDir(filepath.Join(dir, fmt.Sprintf("mc-%s-%d", b.name, round)))
			return command(d, b.path, "map-check", "--quiet", "--config", filepath.Join(d, "hrsync.yaml"))
		}}
		dr := &contender{what: "hrsync import --dry-run (" + b.name + ")", fresh: func(round int) *exec.Cmd {
			d := runDir(filepath.Join(dir, fmt.Sprintf("dry-%s-%d", b.name, round)))
			return command(d, b.path, "import", "--dry-run", "--quiet", "--config", filepath.Join(d, "hrsync.yaml"), "--report", filepath.Join(d, "report.csv"))
		}}
		cs, dry = append(cs, mc, dr), append(dry, dr)
	}
	rounds(cs, repeat, func() { removeRuns(dir) })
	for _, c := range cs {
		report(n, c)
	}
	for i := range bins {
		ratio(n, cs[2*i], dry[i])
	}
}

// rounds runs every contender once per round, the order turned each
// round, and tidy after each run.
func rounds(cs []*contender, repeat int, tidy func()) {
	for r := range repeat {
		for i := range cs {
			c := cs[(i+r)%len(cs)]
			c.runs = append(c.runs, timed(c.fresh(r)))
			tidy()
		}
	}
}

// importCmd is `hrsync import` in a fresh run folder under dir.
func importCmd(dir, bin string) *exec.Cmd {
	d := runDir(dir)
	return command(d, bin, "import", "--quiet", "--config", filepath.Join(d, "hrsync.yaml"), "--report", filepath.Join(d, "report.csv"))
}

// runDir makes a fresh run folder with the config, reading the data of
// its parent.
func runDir(d string) string {
	check(os.RemoveAll(d))
	check(os.MkdirAll(d, 0o755))
	check(os.WriteFile(filepath.Join(d, "hrsync.yaml"), []byte(`timezone: Asia/Ho_Chi_Minh
hr:
  url: sqlite://hr.db
  employees: { file: ../employees.csv }
sources:
  gate:
    path: ../punches.csv
    format: { type: csv, delimiter: ",", encoding: utf-8 }
`+gen.MappingYAML(4)), 0o644))
	return d
}

func command(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	return cmd
}

// removeRuns deletes the run folders and CLI databases of a round, so
// that the disk holds one run's output at a time.
func removeRuns(dir string) {
	entries, err := os.ReadDir(dir)
	check(err)
	for _, e := range entries {
		switch name := e.Name(); {
		case name == "seed", name == "mapped.csv", name == "punches.csv", name == "employees.csv":
		default:
			check(os.RemoveAll(filepath.Join(dir, name)))
		}
	}
}

func removeDB(db string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(db + suffix)
	}
}

// timed runs a command and measures it; a failure to start ends the bench.
func timed(cmd *exec.Cmd) proc.Result {
	cmd.Stderr = os.Stderr
	r, err := proc.Time(cmd)
	check(err)
	if r.ExitCode != 0 {
		fmt.Fprintf(os.Stderr, "%s exited %d\n", cmd.Path, r.ExitCode)
	}
	return r
}

func median(c *contender, of func(proc.Result) float64) float64 {
	v := make([]float64, len(c.runs))
	for i, r := range c.runs {
		v[i] = of(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func wall(r proc.Result) float64 { return r.Wall.Seconds() }
func cpu(r proc.Result) float64  { return r.CPU.Seconds() }
func rss(r proc.Result) float64  { return r.MaxRSSMB() }

func report(n int, c *contender) {
	w := median(c, wall)
	fmt.Printf("%-9d %-44s %8.2f %8.2f %10.0f %8.1f\n", n, c.what, w, median(c, cpu), float64(n)/w, median(c, rss))
}

func ratio(n int, c, base *contender) {
	fmt.Printf("%-9d %-44s %7.2fx %7.2fx  (wall, CPU; medians)\n", n, "ratio "+strings.TrimPrefix(c.what, "hrsync ")+" / "+strings.TrimPrefix(base.what, "hrsync "),
		median(c, wall)/median(base, wall), median(c, cpu)/median(base, cpu))
}

func output(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	check(err)
	return string(out)
}

func run(name string, args ...string) { check(proc.Run(name, args...)) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "importbench:", err)
		os.Exit(1)
	}
}
