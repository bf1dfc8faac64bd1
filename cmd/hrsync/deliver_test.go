package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/gen"
)

// punchTarget is an HR API that honours the idempotency key: a body whose
// key it has seen is answered 200 and not applied again. It counts every
// request and every applied punch, and can hold one chosen request (after
// applying it, before answering) so the test kills hrsync while the target
// has a batch hrsync has not recorded as delivered.
type punchTarget struct {
	mu       sync.Mutex
	requests int
	applied  map[string]int // idempotency key -> times applied
	punches  map[string]int // employee|time -> times applied
	holdAt   int            // hold the request with this number (1-based); 0: none
	held     chan struct{}  // closed when the held request arrived
	release  chan struct{}  // closed to let it answer
}

func (p *punchTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Header.Get("Authorization") != "Bearer t0ken" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var rows []map[string]string
	if err := json.Unmarshal(body, &rows); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := r.Header.Get("Idempotency-Key")
	p.mu.Lock()
	p.requests++
	n := p.requests
	if p.applied[key] == 0 {
		for _, row := range rows {
			p.punches[row["employee_id"]+"|"+row["time"]]++
		}
	}
	p.applied[key]++
	hold, held, release := p.holdAt == n, p.held, p.release
	p.mu.Unlock()
	if hold {
		close(held)
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
	}
	fmt.Fprintf(w, `{"accepted": %d}`, len(rows))
}

// holdRequest arms the target to hold request n and returns the channel
// closed when it arrives and the function that lets it go.
func (p *punchTarget) holdRequest(n int) (<-chan struct{}, func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holdAt, p.held, p.release = n, make(chan struct{}), make(chan struct{})
	release := p.release
	return p.held, func() { close(release) }
}

// TestDeliveryKilledAndRestarted kills hrsync at several points of a
// delivery run, each while the target holds a batch it applied but hrsync
// did not record, and starts it again: in the end every punch reached the
// target exactly once and every outbox event succeeded.
func TestDeliveryKilledAndRestarted(t *testing.T) {
	bin := buildBinary(t)
	target := &punchTarget{applied: map[string]int{}, punches: map[string]int{}}
	srv, dir := startTarget(t, target)
	var emps, punches bytes.Buffer
	emps.WriteString("id,attendance_no,name,status\n")
	for e := 1; e <= 40; e++ {
		fmt.Fprintf(&emps, "E%d,%d,Person %d,active\n", e, e, e)
	}
	const days, perDay = 25, 2 // 40 employees x 25 days x 2 punches = 2000 punches
	punches.WriteString("AC-No,Time,State,Device\n")
	base := time.Date(2025, 11, 1, 7, 0, 0, 0, time.UTC)
	want := 0
	for d := 0; d < days; d++ {
		for e := 1; e <= 40; e++ {
			in := base.AddDate(0, 0, d).Add(time.Duration(e) * time.Minute)
			fmt.Fprintf(&punches, "%d,%s,C/In,G1\n", e, in.Format("2006-01-02 15:04:05"))
			fmt.Fprintf(&punches, "%d,%s,C/Out,G1\n", e, in.Add(9*time.Hour).Format("2006-01-02 15:04:05"))
			want += perDay
		}
	}
	mustWrite(t, filepath.Join(dir, "employees.csv"), emps.Bytes())
	mustWrite(t, filepath.Join(dir, "punches.csv"), punches.Bytes())
	cfgPath := filepath.Join(dir, "hrsync.yaml")
	mustWrite(t, cfgPath, []byte(fmt.Sprintf(`
hr:
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
`+gen.MappingYAML(4), srv.URL)))

	// Kill points: the request numbers, counted over all runs, at which
	// hrsync is killed. 2000 punches make 40 batches.
	for _, at := range []int{1, 6, 15, 27} {
		held, release := target.holdRequest(at)
		cmd := exec.Command(bin, "import", "--config", cfgPath, "--quiet")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-held:
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-exited
		case err := <-exited:
			t.Fatalf("hrsync finished (%v) before request %d arrived: %s", err, at, stderr.String())
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("request %d never arrived", at)
		}
		release()
	}
	target.holdRequest(0)

	report := filepath.Join(dir, "last.csv")
	out, err := exec.Command(bin, "import", "--config", cfgPath, "--report", report).CombinedOutput()
	if err != nil {
		t.Fatalf("the last run failed: %v\n%s", err, out)
	}
	// Every row of the last run is imported (sent now) or duplicate (sent before).
	for _, rec := range readReport(t, report) {
		if o := rec[reportOutcome]; o != "imported" && o != "duplicate" {
			t.Errorf("report line %v: outcome %s", rec, o)
		}
	}

	target.mu.Lock()
	defer target.mu.Unlock()
	if len(target.applied) != want/50 {
		t.Errorf("target got %d distinct batches, want %d", len(target.applied), want/50)
	}
	if len(target.punches) != want {
		t.Errorf("target holds %d distinct punches, want %d", len(target.punches), want)
	}
	for k, n := range target.punches {
		if n != 1 {
			t.Errorf("punch %s applied %d times", k, n)
		}
	}
	repeats := target.requests - len(target.applied)
	t.Logf("%d requests for %d batches: %d repeats, each answered by the idempotency key", target.requests, len(target.applied), repeats)
	if repeats == 0 {
		t.Errorf("no batch was sent twice: the kills did not land while a batch was in flight")
	}

	checkOutboxSucceeded(t, bin, cfgPath, want/50)
	runs, err := exec.Command(bin, "runs", "list", "--config", cfgPath, "--output", "json").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(runs), `"exit_code": 0`) {
		t.Errorf("runs list shows no successful run:\n%s", runs)
	}
}

// startTarget serves h over TLS and writes its certificate to ca.pem in a
// new folder, which it returns with the server.
func startTarget(t *testing.T, h http.Handler) (*httptest.Server, string) {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // killed clients reset their connections
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return srv, dir
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestQueuedRetryAndMarkProcessed: a target that is down leaves the rows
// queued (exit 4) and the events failed with a retry time; `hrsync retry ID`
// sends them once it is back. A batch refused with 422 is not retried and
// is closed by hand with mark-processed.
func TestQueuedRetryAndMarkProcessed(t *testing.T) {
	bin := buildBinary(t)
	var mu sync.Mutex
	reply := http.StatusServiceUnavailable
	srv, dir := startTarget(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		code := reply
		mu.Unlock()
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status": %d}`, code)
	}))
	setReply := func(c int) { mu.Lock(); reply = c; mu.Unlock() }
	mustWrite(t, filepath.Join(dir, "employees.csv"), []byte("id,attendance_no\nE1,1\nE2,2\n"))
	mustWrite(t, filepath.Join(dir, "punches.csv"), []byte("AC-No,Time\n1,2025-11-01 07:00:00\n2,2025-11-01 07:01:00\n1,2025-11-02 07:00:00\n"))
	cfgPath := filepath.Join(dir, "hrsync.yaml")
	mustWrite(t, cfgPath, []byte(fmt.Sprintf(`
hr:
  url: %s/punches
  employees: { file: employees.csv, match: [attendance_no] }
  http: { batch_size: 2, ca_file: ca.pem, max_retries: -1 }
sources:
  gate:
    path: punches.csv
    mapping:
      employee_key: { column: AC-No }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
`, srv.URL)))
	run := func(want int, args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, append(args, "--config", cfgPath)...)
		out, err := cmd.CombinedOutput()
		if code := cmd.ProcessState.ExitCode(); code != want {
			t.Fatalf("hrsync %v: exit %d (%v), want %d\n%s", args, code, err, want, out)
		}
		return string(out)
	}
	report := filepath.Join(dir, "r.csv")
	run(4, "import", "--report", report, "--quiet")
	for _, rec := range readReport(t, report) {
		if rec[reportOutcome] != "queued" || !strings.Contains(rec[reportReason], "HTTP 503") {
			t.Errorf("report line %v: want queued with the 503", rec)
		}
	}
	failed := run(0, "events", "list", "--status", "failed", "--output", "json")
	var events []struct {
		ID          int64
		NextAttempt *time.Time `json:"next_attempt"`
	}
	if err := json.Unmarshal([]byte(failed), &events); err != nil || len(events) != 2 {
		t.Fatalf("events list --status failed: %v\n%s", err, failed)
	}
	if events[0].NextAttempt == nil || time.Until(*events[0].NextAttempt) < 4*time.Minute {
		t.Errorf("failed event not scheduled about 5 minutes out: %v", events[0].NextAttempt)
	}
	// Not due yet: a plain retry sends nothing, and exits 4 while the
	// failed batches wait.
	run(4, "retry", "--quiet")

	setReply(http.StatusOK)
	run(4, "retry", fmt.Sprint(events[1].ID), "--quiet") // the older one, first batch; the other still waits
	setReply(http.StatusUnprocessableEntity)
	run(4, "retry", fmt.Sprint(events[0].ID), "--quiet")
	show := run(0, "events", "show", fmt.Sprint(events[0].ID))
	if !strings.Contains(show, "failed (needs a person)") || !strings.Contains(show, "HTTP 422") || !strings.Contains(show, `"employee_id":"E1"`) {
		t.Errorf("events show lacks the status, reply or payload:\n%s", show)
	}
	run(2, "mark-processed", fmt.Sprint(events[0].ID))
	run(0, "mark-processed", fmt.Sprint(events[0].ID), "--note", "typed in by hand")
	if out := run(0, "events", "list", "--status", "failed", "--output", "json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("still failed after retry and mark-processed:\n%s", out)
	}
	// The next import finds both batches settled: nothing queued, nothing sent.
	run(0, "import", "--report", report, "--quiet")
	for _, rec := range readReport(t, report) {
		if rec[reportOutcome] != "duplicate" {
			t.Errorf("rerun report line %v: want duplicate", rec)
		}
	}
	runs := run(0, "runs", "list")
	if !strings.Contains(runs, "queued 3") || !strings.Contains(runs, "retry") {
		t.Errorf("runs list does not show the queued import and the retries:\n%s", runs)
	}
}

// checkOutboxSucceeded: the outbox of the config holds events, every one
// of them succeeded.
func checkOutboxSucceeded(t *testing.T, bin, cfg string, events int) {
	t.Helper()
	out, err := exec.Command(bin, "events", "list", "--config", cfg, "--output", "json", "--limit", "0").Output()
	if err != nil {
		t.Fatal(err)
	}
	var list []struct{ Status string }
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != events {
		t.Errorf("outbox holds %d events, want %d", len(list), events)
	}
	for _, e := range list {
		if e.Status != "succeeded" {
			t.Errorf("event status %s, want succeeded", e.Status)
		}
	}
}
