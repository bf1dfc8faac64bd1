//go:build trials

package main

// The fault trials: each scenario's command is killed (SIGKILL) at a random
// moment, then run again to the end, and the HR data must be exact: every
// punch of the input stored once, nothing else. A scenario is one entry in
// trialScenarios. .ci/run runs a few trials per scenario; the long run is
//
//	HRSYNC_TRIALS=25 go test -count=1 -tags trials -run TestFaultTrials -v -timeout 2h ./cmd/hrsync/
//
// which prints "N of N exact" per scenario.

import (
	"crypto/sha256"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
	"github.com/hrsync/hrsync/sources/zk/zkemu"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// trialScenario is one kind of run the trials kill.
type trialScenario struct {
	name string
	// server is the address the scenario needs ("" = none); without it the
	// scenario is skipped with a message.
	server string
	// prepare writes one trial's inputs and config into dir and returns the
	// command's arguments (after the binary) and the check that the data
	// is exact once a run finished.
	prepare func(t *testing.T, dir string, trial int) (args []string, exact func() error)
	// staged, instead of prepare, runs a whole trial of several commands or
	// a server in dir: kill says whether to kill the binary at random
	// moments (false for the first, uninterrupted trial, which the scenario
	// times its kill windows on); the error says what is not exact.
	// It returns how many kills landed on a running process.
	staged func(t *testing.T, bin, dir string, trial int, kill bool) (kills int, err error)
}

const trialPunches = 40000

var trialScenarios = []trialScenario{
	{name: "import into SQLite", prepare: importTrial("sqlite", "")},
	{name: "import into MariaDB", server: "127.0.0.1:3306", prepare: importTrial("mysql", "mysql://root@127.0.0.1:3306/test")},
	{name: "import into PostgreSQL", server: "127.0.0.1:5432", prepare: importTrial("pgx", "postgres://root@127.0.0.1:5432/test?sslmode=disable")},
	{name: "database source with watermark", prepare: watermarkTrial},
	{name: "HTTP delivery", prepare: httpTrial},
	{name: "pull from a folder", prepare: pullTrial},
	{name: "device pull and import with after_pull clear", staged: deviceTrial()},
	{name: "serve receiving uploads and importing", staged: serveTrial()},
}

func TestFaultTrials(t *testing.T) {
	n := 3
	if v, err := strconv.Atoi(os.Getenv("HRSYNC_TRIALS")); err == nil && v > 0 {
		n = v
	}
	bin := buildBinary(t)
	var summary []string
	for _, sc := range trialScenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.server != "" {
				c, err := net.DialTimeout("tcp", sc.server, 2*time.Second)
				if err != nil {
					t.Skipf("no server at %s: %v", sc.server, err)
				}
				c.Close()
			}
			if sc.staged != nil {
				if _, err := sc.staged(t, bin, t.TempDir(), 0, false); err != nil {
					t.Fatalf("the uninterrupted trial is not exact: %v", err)
				}
				good, landed := 0, 0
				for i := 1; i <= n; i++ {
					kills, err := sc.staged(t, bin, t.TempDir(), i, true)
					landed += kills
					if err != nil {
						t.Errorf("trial %d (%d kills): %v", i, kills, err)
						continue
					}
					good++
				}
				line := fmt.Sprintf("%s: %d of %d exact (%d kills landed)", sc.name, good, n, landed)
				t.Log(line)
				summary = append(summary, line)
				return
			}
			// One run to the end first: how long the command takes is the
			// window the kills land in.
			args, exact := sc.prepare(t, t.TempDir(), 0)
			started := time.Now()
			if out, err := exec.Command(bin, args...).CombinedOutput(); exitCode(err) == 1 || exitCode(err) == 2 {
				t.Fatalf("the uninterrupted run failed: %v\n%s", err, out)
			}
			window := time.Since(started)
			if err := exact(); err != nil {
				t.Fatalf("the uninterrupted run is not exact: %v", err)
			}
			good := 0
			for i := 1; i <= n; i++ {
				args, exact := sc.prepare(t, t.TempDir(), i)
				kills := 1 + rand.IntN(2)
				for k := 0; k < kills; k++ {
					killAfter(t, bin, args, time.Duration(rand.Int64N(int64(window))))
				}
				out, err := exec.Command(bin, args...).CombinedOutput()
				if c := exitCode(err); c == 1 || c == 2 || c < 0 {
					t.Errorf("trial %d: the run after the kill exited %d\n%s", i, c, out)
					continue
				}
				if err := exact(); err != nil {
					t.Errorf("trial %d: not exact after the re-run: %v", i, err)
					continue
				}
				good++
			}
			line := fmt.Sprintf("%s: %d of %d exact (kills within %s)", sc.name, good, n, window.Round(time.Millisecond))
			t.Log(line)
			summary = append(summary, line)
		})
	}
	t.Logf("fault trials:\n%s", strings.Join(summary, "\n"))
}

// killAfter starts the command and kills it after d (if it is still
// running), saying whether it did.
func killAfter(t *testing.T, bin string, args []string, d time.Duration) bool {
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
		return false
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return true
	}
}

// trialCSV writes n distinct punches of employees 1..50 in time order,
// several to a second (ties on one second are what watermarks trip on).
func trialCSV(n int) string {
	var b strings.Builder
	b.WriteString("AC-No,Time,State,Device\n")
	base := time.Date(2025, 11, 1, 6, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "%d,%s,C/In,G1\n", 1+i%50, base.Add(time.Duration(i/5)*time.Second).Format("2006-01-02 15:04:05"))
	}
	return b.String()
}

func trialEmployees() string {
	var b strings.Builder
	b.WriteString("id,attendance_no,name,status\n")
	for e := 1; e <= 50; e++ {
		fmt.Fprintf(&b, "E%d,%d,Person %d,active\n", e, e, e)
	}
	return b.String()
}

const trialMapping = `    mapping:
      employee_key: { column: AC-No }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
      direction: { column: State, codes: { in: [C/In], out: [C/Out] } }
      device: { column: Device }
`

// countRows counts a table's rows and its distinct (employee, time) pairs.
func countRows(driver, dsn, table string) (rows, distinct int, err error) {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	q := `SELECT COUNT(*), COUNT(DISTINCT employee_id || '|' || punch_time) FROM ` + table
	if driver == "mysql" {
		q = `SELECT COUNT(*), COUNT(DISTINCT employee_id, punch_time) FROM ` + table
	}
	err = db.QueryRow(q).Scan(&rows, &distinct)
	return rows, distinct, err
}

func wantExact(rows, distinct, want int, err error) error {
	switch {
	case err != nil:
		return err
	case rows != want || distinct != want:
		return fmt.Errorf("%d rows (%d distinct punches) stored, want %d", rows, distinct, want)
	}
	return nil
}

// importTrial imports a CSV into the HR database of the driver; url ""
// is an SQLite file in the trial's folder.
func importTrial(driver, url string) func(t *testing.T, dir string, trial int) ([]string, func() error) {
	return func(t *testing.T, dir string, trial int) ([]string, func() error) {
		table := "attendance_punches"
		dsn, hr := filepath.Join(dir, "hr.db"), "url: sqlite://hr.db"
		if url != "" {
			table = fmt.Sprintf("trial_%d_%d", time.Now().UnixNano()%1e9, trial)
			hr = fmt.Sprintf("url: %q\n  create_tables: true\n  punches: { table: %s }", url, table)
			switch driver {
			case "mysql":
				dsn = "root@tcp(127.0.0.1:3306)/test"
			case "pgx":
				dsn = url
			}
			t.Cleanup(func() {
				if db, err := sql.Open(driver, dsn); err == nil {
					db.Exec("DROP TABLE IF EXISTS " + table)
					db.Close()
				}
			})
		}
		mustWrite(t, filepath.Join(dir, "employees.csv"), []byte(trialEmployees()))
		mustWrite(t, filepath.Join(dir, "punches.csv"), []byte(trialCSV(trialPunches)))
		cfg := filepath.Join(dir, "hrsync.yaml")
		mustWrite(t, cfg, []byte(fmt.Sprintf("hr:\n  %s\n  employees: { file: employees.csv, match: [attendance_no] }\nlock_wait: 30s\nsources:\n  gate:\n    path: punches.csv\n%s", hr, trialMapping)))
		return []string{"import", "--config", cfg, "--quiet"}, func() error {
			rows, distinct, err := countRows(driver, dsn, table)
			return wantExact(rows, distinct, trialPunches, err)
		}
	}
}

// watermarkTrial reads a punch-clock table in an SQLite database with a
// watermark on its time column, ties on one second included.
func watermarkTrial(t *testing.T, dir string, trial int) ([]string, func() error) {
	src := filepath.Join(dir, "clock.db")
	db, err := sql.Open("sqlite", src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE clock (id INTEGER NOT NULL PRIMARY KEY, badge VARCHAR(20), punched_at TIMESTAMP)`); err != nil {
		t.Fatal(err)
	}
	tx, _ := db.Begin()
	base := time.Date(2025, 11, 1, 6, 0, 0, 0, time.UTC)
	for i := range trialPunches {
		if _, err := tx.Exec(`INSERT INTO clock VALUES (?, ?, ?)`, i+1, strconv.Itoa(1+i%50), base.Add(time.Duration(i/5)*time.Second).Format("2006-01-02 15:04:05")); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()
	mustWrite(t, filepath.Join(dir, "employees.csv"), []byte(trialEmployees()))
	cfg := filepath.Join(dir, "hrsync.yaml")
	mustWrite(t, cfg, []byte(`timezone: UTC
hr:
  url: sqlite://hr.db
  employees: { file: employees.csv, match: [attendance_no] }
lock_wait: 30s
sources:
  clock:
    url: sqlite://clock.db
    table: clock
    watermark: { column: punched_at }
    mapping:
      employee_key: badge
      time: punched_at
`))
	return []string{"import", "--config", cfg, "--quiet"}, func() error {
		rows, distinct, err := countRows("sqlite", filepath.Join(dir, "hr.db"), "attendance_punches")
		return wantExact(rows, distinct, trialPunches, err)
	}
}

// httpTrial delivers punches to an HTTPS target that applies a batch once
// per idempotency key; every punch must reach it exactly once.
func httpTrial(t *testing.T, _ string, trial int) ([]string, func() error) {
	target := &punchTarget{applied: map[string]int{}, punches: map[string]int{}}
	srv, dir := startTarget(t, target)
	const n = 4000
	mustWrite(t, filepath.Join(dir, "employees.csv"), []byte(trialEmployees()))
	mustWrite(t, filepath.Join(dir, "punches.csv"), []byte(trialCSV(n)))
	cfg := filepath.Join(dir, "hrsync.yaml")
	mustWrite(t, cfg, []byte(fmt.Sprintf(`hr:
  url: %s/punches
  employees: { file: employees.csv, match: [attendance_no] }
  http:
    batch_size: 50
    concurrency: 4
    ca_file: ca.pem
    auth: { kind: bearer, token: t0ken }
lock_wait: 30s
sources:
  gate:
    path: punches.csv
%s`, srv.URL, trialMapping)))
	return []string{"import", "--config", cfg, "--quiet"}, func() error {
		target.mu.Lock()
		defer target.mu.Unlock()
		if len(target.punches) != n {
			return fmt.Errorf("the target holds %d distinct punches, want %d", len(target.punches), n)
		}
		for k, c := range target.punches {
			if c != 1 {
				return fmt.Errorf("punch %s applied %d times", k, c)
			}
		}
		return nil
	}
}

// pullTrial pulls large files from a local folder: the inbox must end up
// with each file whole (same SHA-256) and no partial file left.
func pullTrial(t *testing.T, dir string, trial int) ([]string, func() error) {
	remote := filepath.Join(dir, "remote")
	os.MkdirAll(remote, 0o700)
	sums := map[string][32]byte{}
	r := rand.New(rand.NewPCG(uint64(trial), 7))
	for i := range 4 {
		b := make([]byte, 16<<20)
		for j := 0; j < len(b); j += 8 {
			v := r.Uint64()
			for k := 0; k < 8; k++ {
				b[j+k] = byte(v >> (8 * k))
			}
		}
		name := fmt.Sprintf("punches-%d.csv", i)
		mustWrite(t, filepath.Join(remote, name), b)
		sums[name] = sha256.Sum256(b)
	}
	mustWrite(t, filepath.Join(dir, "employees.csv"), []byte(trialEmployees()))
	cfg := filepath.Join(dir, "hrsync.yaml")
	mustWrite(t, cfg, []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv, match: [attendance_no] }
lock_wait: 30s
sources:
  gate:
    pull: { url: remote, pattern: "*.csv", stable_for: -1s }
`+trialMapping))
	inbox := filepath.Join(dir, "hrsync-data", "inbox", "gate")
	return []string{"pull", "--config", cfg, "--quiet"}, func() error {
		entries, err := os.ReadDir(inbox)
		if err != nil {
			return err
		}
		got := 0
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			want, ok := sums[e.Name()]
			if !ok {
				return fmt.Errorf("the inbox holds %s", e.Name())
			}
			b, err := os.ReadFile(filepath.Join(inbox, e.Name()))
			if err != nil {
				return err
			}
			if sha256.Sum256(b) != want {
				return fmt.Errorf("%s differs from the remote file", e.Name())
			}
			got++
		}
		if got != len(sums) {
			return fmt.Errorf("the inbox holds %d of the %d files", got, len(sums))
		}
		return nil
	}
}

// deviceTrial pulls a ZKTeco device (the emulator) with after_pull: clear
// and imports the inbox CSV, in rounds between which the device gets new
// punches; pulls and imports are killed at random moments within the
// time each took in the uninterrupted trial. Every punch the device ever
// held must be in the HR database once, no partial file left, the device
// enabled.
func deviceTrial() func(t *testing.T, bin, dir string, trial int, kill bool) (int, error) {
	took := map[string]time.Duration{} // longest uninterrupted run per command
	return func(t *testing.T, bin, dir string, trial int, kill bool) (int, error) {
		const users, held, rounds, more = 50, 20_000, 3, 3000
		mustWrite(t, filepath.Join(dir, "employees.csv"), []byte(trialEmployees()))
		d := zkemu.NewDevice()
		all := zkemu.Generate(held+rounds*more, users, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC))
		d.SetRecords(all[:held])
		srv, err := zkemu.Listen("127.0.0.1:0", d)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		cfg := filepath.Join(dir, "hrsync.yaml")
		mustWrite(t, cfg, []byte(`timezone: UTC
hr:
  url: sqlite://hr.db
  employees: { file: employees.csv, match: [attendance_no] }
lock_wait: 30s
sources:
  machines:
    after_pull: clear
    timeout: 2s
    devices:
      - { name: gate, url: "zk://`+srv.Addr()+`" }
`))
		// The emulator's log is the records since its last clear.
		punched := held
		punch := func(n int) {
			start := punched - d.RecordCount()
			punched += n
			d.SetRecords(all[start:punched])
		}
		var failed []string
		killed := 0
		finish := func(command string) {
			started := time.Now()
			out, err := exec.Command(bin, command, "--config", cfg, "--quiet").CombinedOutput()
			if !kill && time.Since(started) > took[command] {
				took[command] = time.Since(started)
			}
			// Exit 3 is a pull that left the log uncleared, or rows for
			// the report; 1 and 2 are failures.
			if c := exitCode(err); c == 1 || c == 2 || c < 0 {
				failed = append(failed, fmt.Sprintf("%s exited %d: %s", command, c, strings.TrimSpace(string(out))))
			}
		}
		maybeKill := func(command string) {
			if kill && took[command] > 0 {
				for range rand.IntN(3) {
					if killAfter(t, bin, []string{command, "--config", cfg, "--quiet"}, time.Duration(rand.Int64N(int64(took[command])))) {
						killed++
					}
				}
			}
		}
		for r := 0; r <= rounds; r++ {
			maybeKill("pull")
			finish("pull")
			maybeKill("import")
			finish("import")
			maybeKill("pull") // the pull that clears the log, everything being imported
			finish("pull")
			if r < rounds {
				punch(more)
			}
		}
		finish("import")
		if len(failed) > 0 {
			return killed, fmt.Errorf("%s", strings.Join(failed, "\n"))
		}
		rows, distinct, err := countRows("sqlite", filepath.Join(dir, "hr.db"), "attendance_punches")
		if err := wantExact(rows, distinct, punched, err); err != nil {
			return killed, err
		}
		if d.Disabled() {
			return killed, fmt.Errorf("the device is left disabled")
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "hrsync-data", "inbox", "machines", ".*partial*")); len(left) > 0 {
			return killed, fmt.Errorf("partial files left: %v", left)
		}
		return killed, nil
	}
}

// serveTrial runs `hrsync serve` with a push source imported every second
// while devices (the iClock simulator) upload, resending what was not
// acknowledged as real ones do; serve is killed at random moments within
// the time the uploads took uninterrupted and restarted, killed once more
// after the last upload (around its periodic import), and `hrsync import`
// runs to the end: every record acknowledged is in the HR database once.
func serveTrial() func(t *testing.T, bin, dir string, trial int, kill bool) (int, error) {
	var window time.Duration // how long the uploads took uninterrupted
	return func(t *testing.T, bin, dir string, trial int, kill bool) (int, error) {
		const devices, batches, perBatch = 4, 15, 20
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		mustWrite(t, filepath.Join(dir, "employees.csv"), []byte(trialEmployees()))
		cfg := filepath.Join(dir, "hrsync.yaml")
		mustWrite(t, cfg, []byte(`timezone: UTC
lock_wait: 30s
hr:
  url: sqlite://hr.db
  employees: { file: employees.csv, match: [attendance_no] }
sources:
  devices:
    push: true
    mapping:
      employee_key: { column: pin }
      time: { column: time }
      direction: { column: state, codes: { in: [0], out: [1] }, unknown: keep }
      device: { column: serial }
serve:
  listen: `+addr+`
  import_every: 1s
  rate_limit: -1
`))
		run := func(args ...string) error {
			if out, err := exec.Command(bin, append(args, "--config", cfg, "--quiet")...).CombinedOutput(); err != nil {
				return fmt.Errorf("%v: %v\n%s", args, err, out)
			}
			return nil
		}
		for d := range devices {
			if err := run("devices", "approve", fmt.Sprintf("TRIAL%02d", d)); err != nil {
				return 0, err
			}
		}
		start := func() (*exec.Cmd, error) {
			cmd := exec.Command(bin, "serve", "--config", cfg, "--quiet")
			if err := cmd.Start(); err != nil {
				return nil, err
			}
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
					res.Body.Close()
					if res.StatusCode == http.StatusOK {
						return cmd, nil
					}
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
			return nil, fmt.Errorf("serve did not answer /healthz")
		}
		srv, err := start()
		if err != nil {
			return 0, err
		}
		var (
			acked    atomic.Int64
			wg       sync.WaitGroup
			uploaded = make(chan struct{})
			stop     = make(chan struct{}) // a failed trial's devices give up
			began    = time.Now()
		)
		defer close(stop)
		for d := range devices {
			wg.Go(func() {
				dev := &iclocksim.Device{Base: "http://" + addr, SN: fmt.Sprintf("TRIAL%02d", d),
					Client: &http.Client{Timeout: 10 * time.Second}}
				t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC).Add(time.Duration(d) * time.Hour)
				for b := 0; b < batches; {
					select {
					case <-stop:
						return
					default:
					}
					var lines []string
					for i := range perBatch {
						n := b*perBatch + i
						lines = append(lines, iclocksim.AttLine(strconv.Itoa(1+n%50), t0.Add(time.Duration(n)*time.Second), n%2, 1))
					}
					if _, got, err := dev.Upload(b+1, lines); err != nil || got != perBatch {
						time.Sleep(20 * time.Millisecond) // serve is down: resend
						continue
					}
					acked.Add(perBatch)
					b++
				}
			})
		}
		go func() { wg.Wait(); close(uploaded) }()
		killed := 0
		if kill && window > 0 {
			for k := 1 + rand.IntN(3); k > 0; k-- {
				select {
				case <-uploaded:
				case <-time.After(time.Duration(rand.Int64N(int64(window)))):
				}
				srv.Process.Kill()
				srv.Wait()
				killed++
				if srv, err = start(); err != nil {
					return killed, err
				}
			}
		}
		// The deadlines only keep a broken serve from hanging the trials.
		select {
		case <-uploaded:
		case <-time.After(2 * time.Minute):
			srv.Process.Kill()
			srv.Wait()
			return killed, fmt.Errorf("the uploads did not end: %d of %d records acknowledged", acked.Load(), devices*batches*perBatch)
		}
		if !kill {
			window = time.Since(began)
		}
		exited := make(chan struct{})
		go func() { srv.Wait(); close(exited) }()
		if kill {
			// Within 1.5 import periods: often during serve's own import.
			time.Sleep(time.Duration(rand.Int64N(int64(1500 * time.Millisecond))))
			srv.Process.Kill()
			killed++
		} else {
			srv.Process.Signal(syscall.SIGTERM)
		}
		select {
		case <-exited:
		case <-time.After(time.Minute):
			srv.Process.Kill()
			<-exited
			return killed, fmt.Errorf("serve did not stop on SIGTERM")
		}
		if err := run("import"); err != nil {
			return killed, err
		}
		total := devices * batches * perBatch
		if int(acked.Load()) != total {
			return killed, fmt.Errorf("%d records acknowledged, want %d", acked.Load(), total)
		}
		rows, distinct, err := countRows("sqlite", filepath.Join(dir, "hr.db"), "attendance_punches")
		if err := wantExact(rows, distinct, total, err); err != nil {
			return killed, err
		}
		return killed, nil
	}
}
