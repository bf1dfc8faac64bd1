package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/gen"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/internal/sqldb/sqltest"
)

// serverState is a fresh PostgreSQL schema for one test: the state's
// section and the HR database's URL in it (its search_path), so that the
// state and the punches both outlive every worker's data folder.
func serverState(t *testing.T) (stateYAML, hrURL string, count func() int) {
	t.Helper()
	return serverStateOn(t, "postgres")
}

// serverStateOn is serverState on PostgreSQL or, for "mariadb", in a
// fresh MariaDB database holding both.
func serverStateOn(t *testing.T, kind string) (stateYAML, hrURL string, count func() int) {
	t.Helper()
	if kind == "mariadb" {
		u := sqltest.MariaDBDatabase(t)
		db, err := sqldb.Open(context.Background(), u, sqldb.Credentials{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return fmt.Sprintf("state:\n  url: %s\n  table_prefix: st_\n", u), u, func() int {
			var n int
			if err := db.QueryRow(`SELECT COUNT(*) FROM attendance_punches`).Scan(&n); err != nil {
				return 0
			}
			return n
		}
	}
	u, schema := sqltest.PostgresSchema(t)
	stateYAML = fmt.Sprintf("state:\n  url: %s\n  schema: %s\n  table_prefix: st_\n", u, schema)
	hrURL = u + "&search_path=" + schema
	db, err := sqldb.Open(context.Background(), u, sqldb.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return stateYAML, hrURL, func() int {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM ` + schema + `.attendance_punches`).Scan(&n); err != nil {
			return 0
		}
		return n
	}
}

type runRow struct {
	ID         int64            `json:"id"`
	Command    string           `json:"command"`
	StartedAt  time.Time        `json:"started_at"`
	FinishedAt *time.Time       `json:"finished_at"`
	ExitCode   *int             `json:"exit_code"`
	Counts     map[string]int64 `json:"counts"`
	Error      string           `json:"error"`
}

func runsOf(t *testing.T, bin, cfg string) []runRow {
	t.Helper()
	out, err := exec.Command(bin, "runs", "list", "--config", cfg, "--output", "json", "--limit", "1000").Output()
	if err != nil {
		t.Fatalf("runs list: %v", err)
	}
	var rs []runRow
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatalf("runs list: %v\n%s", err, out)
	}
	return rs
}

// TestStateLockAcrossProcesses: three hrsync processes, each with a data
// folder of its own, share one PostgreSQL (then MariaDB) state and race on
// the same job.
// Exactly one works at a time: the others wait lock_wait and either run
// after it (everything duplicate) or exit 1 naming the holder's run and
// host; the history, read from any of them, shows no two imports at once.
func TestStateLockAcrossProcesses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("one platform is enough for the process race")
	}
	bin := buildBinary(t)
	for _, kind := range []string{"postgres", "mariadb"} {
		t.Run(kind, func(t *testing.T) { lockRace(t, bin, kind) })
	}
}

func lockRace(t *testing.T, bin, kind string) {
	stateYAML, hrURL, count := serverStateOn(t, kind)
	dir := t.TempDir()
	const rows = 150000
	writeFile(t, filepath.Join(dir, "employees.csv"), func(f *os.File) error { return gen.WriteEmployeesCSV(f, 500) })
	writeFile(t, filepath.Join(dir, "punches.csv"), func(f *os.File) error {
		_, err := gen.WritePunchesCSV(f, gen.Spec{Employees: 500, Start: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Days: 30, Punches: rows, Seed: 5})
		return err
	})
	var cfgs []string
	for i := range 3 {
		cfg := filepath.Join(dir, fmt.Sprintf("w%d.yaml", i))
		mustWrite(t, cfg, []byte(fmt.Sprintf("data_dir: data-w%d\nlock_wait: 1s\n%shr:\n  url: %s\n  create_tables: true\n  employees: { file: employees.csv }\nsources:\n  gate:\n    path: punches.csv\n%s",
			i, stateYAML, hrURL, gen.MappingYAML(4))))
		cfgs = append(cfgs, cfg)
	}
	type result struct {
		code   int
		stderr string
	}
	results := make([]result, 3)
	var wg sync.WaitGroup
	for i, cfg := range cfgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "import", "--config", cfg, "--quiet")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			results[i] = result{exitCode(err), stderr.String()}
		}()
	}
	wg.Wait()
	host, _ := os.Hostname()
	ran, refused := 0, 0
	for i, r := range results {
		switch r.code {
		case 0:
			ran++
		case 1:
			refused++
			if !strings.Contains(r.stderr, "another hrsync run holds the lock (run ") || !strings.Contains(r.stderr, " on "+host+" since ") {
				t.Errorf("worker %d refused without naming the holder's run and host:\n%s", i, r.stderr)
			}
		default:
			t.Errorf("worker %d exit %d:\n%s", i, r.code, r.stderr)
		}
	}
	if ran == 0 {
		t.Fatalf("no worker ran: %+v", results)
	}
	if n := count(); n != rows {
		t.Fatalf("the HR table holds %d punches, want %d", n, rows)
	}
	// The history is shared: every worker's run is in it, whichever folder reads it.
	rs := runsOf(t, bin, cfgs[2])
	var imported int64
	var done []runRow
	for _, r := range rs {
		if r.Command != "import" || r.ExitCode == nil {
			t.Fatalf("run %+v", r)
		}
		if *r.ExitCode == 0 {
			done = append(done, r)
			imported += r.Counts["imported"]
		}
	}
	if len(rs) != 3 || len(done) != ran || imported != rows {
		t.Fatalf("history: %d runs, %d successful importing %d in all; want 3, %d, %d", len(rs), len(done), imported, ran, rows)
	}
	// Serial runs: the first imports every punch, any run after it finds
	// them all stored. Runs at once would split the punches between them.
	// (started_at is before the wait for the lock, so it cannot say.)
	for _, r := range done {
		if n := r.Counts["imported"]; n != 0 && n != rows {
			t.Errorf("run %d imported %d of %d punches: it worked beside another", r.ID, n, rows)
		}
	}
	t.Logf("%d ran, %d refused naming the holder", ran, refused)
}

// TestWipedWorkerAfterKilledImport: a worker pulls a file, is killed -9
// midway through its import, and its data folder is deleted (a CronJob's
// pod). The next worker, in a folder of its own, pulls the file again (the
// ledger knows it was never imported), imports exactly the missing
// punches, and the one after it pulls and imports nothing.
func TestWipedWorkerAfterKilledImport(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses SIGKILL")
	}
	stateYAML, hrURL, count := serverState(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	const rows = 200000
	remote := filepath.Join(dir, "remote")
	os.MkdirAll(remote, 0o700)
	writeFile(t, filepath.Join(dir, "employees.csv"), func(f *os.File) error { return gen.WriteEmployeesCSV(f, 500) })
	writeFile(t, filepath.Join(remote, "punches.csv"), func(f *os.File) error {
		_, err := gen.WritePunchesCSV(f, gen.Spec{Employees: 500, Start: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Days: 30, Punches: rows, Seed: 3})
		return err
	})
	worker := func(name string) string {
		cfg := filepath.Join(dir, name+".yaml")
		mustWrite(t, cfg, []byte(fmt.Sprintf("data_dir: %s\nlock_wait: 30s\n%shr:\n  url: %s\n  create_tables: true\n  employees: { file: employees.csv }\nsources:\n  gate:\n    pull: { url: remote, pattern: \"*.csv\", stable_for: -1s }\n%s",
			name, stateYAML, hrURL, gen.MappingYAML(4))))
		return cfg
	}
	run := func(cfg string, args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append(args, "--config", cfg)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	killed := false
	for attempt := 0; attempt < 5 && !killed; attempt++ {
		name := fmt.Sprintf("pod%d", attempt)
		cfg := worker(name)
		run(cfg, "pull", "--quiet")
		cmd := exec.Command(bin, "import", "--config", cfg, "--quiet")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killed = killMidway(cmd, count, rows)
		os.RemoveAll(filepath.Join(dir, name)) // the pod is gone, its disk with it
		if !killed && count() == rows {
			t.Skip("the import finished before it could be killed")
		}
	}
	if !killed {
		t.Skip("the import could not be killed midway")
	}
	before := count()
	t.Logf("killed with %d of %d punches written; data folder deleted", before, rows)

	next := worker("next")
	if out := run(next, "pull"); !strings.Contains(out, "punches.csv") {
		t.Fatalf("the next worker did not pull the file again:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "next", "inbox", "gate", "punches.csv")); err != nil {
		t.Fatalf("no inbox copy after the pull: %v", err)
	}
	run(next, "import", "--quiet")
	if n := count(); n != rows {
		t.Fatalf("after the next worker the HR table holds %d punches, want exactly %d", n, rows)
	}
	os.RemoveAll(filepath.Join(dir, "next"))

	last := worker("last")
	run(last, "pull", "--quiet")
	if entries, _ := os.ReadDir(filepath.Join(dir, "last", "inbox", "gate")); len(entries) != 0 {
		t.Fatalf("an imported file was pulled again: %v", entries)
	}
	run(last, "import", "--quiet")
	if n := count(); n != rows {
		t.Fatalf("the HR table holds %d punches, want %d", n, rows)
	}
}

// TestWipedWorkerAfterKilledDelivery: the outbox lives in the server state.
// hrsync is killed -9 while the target holds a batch it applied, and the
// data folder is deleted each time; the next workers, each in a new
// folder, send what was queued: every punch reaches the target once and
// every event succeeds.
func TestWipedWorkerAfterKilledDelivery(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses SIGKILL")
	}
	stateYAML, _, _ := serverState(t)
	bin := buildBinary(t)
	target := &punchTarget{applied: map[string]int{}, punches: map[string]int{}}
	srv, dir := startTarget(t, target)
	var emps, punches bytes.Buffer
	emps.WriteString("id,attendance_no,name,status\n")
	for e := 1; e <= 40; e++ {
		fmt.Fprintf(&emps, "E%d,%d,Person %d,active\n", e, e, e)
	}
	punches.WriteString("AC-No,Time,State,Device\n")
	base := time.Date(2025, 11, 1, 7, 0, 0, 0, time.UTC)
	want := 0
	for d := 0; d < 25; d++ {
		for e := 1; e <= 40; e++ {
			in := base.AddDate(0, 0, d).Add(time.Duration(e) * time.Minute)
			fmt.Fprintf(&punches, "%d,%s,C/In,G1\n", e, in.Format("2006-01-02 15:04:05"))
			fmt.Fprintf(&punches, "%d,%s,C/Out,G1\n", e, in.Add(9*time.Hour).Format("2006-01-02 15:04:05"))
			want += 2
		}
	}
	mustWrite(t, filepath.Join(dir, "employees.csv"), emps.Bytes())
	mustWrite(t, filepath.Join(dir, "punches.csv"), punches.Bytes())
	worker := func(name string) string {
		cfg := filepath.Join(dir, name+".yaml")
		mustWrite(t, cfg, []byte(fmt.Sprintf(`data_dir: %s
lock_wait: 30s
%shr:
  url: %s/punches
  employees: { file: employees.csv, match: [attendance_no] }
  http:
    batch_size: 50
    concurrency: 4
    ca_file: ca.pem
    auth: { kind: bearer, token: t0ken }
sources:
  gate:
    path: punches.csv
`+gen.MappingYAML(4), name, stateYAML, srv.URL)))
		return cfg
	}
	for i, at := range []int{3, 14, 29} {
		name := fmt.Sprintf("pod%d", i)
		held, release := target.holdRequest(at)
		cmd := exec.Command(bin, "import", "--config", worker(name), "--quiet")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-held:
			cmd.Process.Kill()
			<-exited
		case err := <-exited:
			t.Fatalf("hrsync finished (%v) before request %d arrived: %s", err, at, stderr.String())
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("request %d never arrived", at)
		}
		release()
		os.RemoveAll(filepath.Join(dir, name))
	}
	target.holdRequest(0)
	last := worker("last")
	if out, err := exec.Command(bin, "import", "--config", last).CombinedOutput(); err != nil {
		t.Fatalf("the last run failed: %v\n%s", err, out)
	}
	target.mu.Lock()
	if len(target.punches) != want || len(target.applied) != want/50 {
		t.Errorf("target holds %d distinct punches in %d batches, want %d in %d", len(target.punches), len(target.applied), want, want/50)
	}
	for k, n := range target.punches {
		if n != 1 {
			t.Errorf("punch %s applied %d times", k, n)
		}
	}
	target.mu.Unlock()
	checkOutboxSucceeded(t, bin, last, want/50)
}

// exitCode is a finished command's exit code (0 for nil, -1 when it did
// not run).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
