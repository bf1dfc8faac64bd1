package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/outbox"
)

// These tests call the run functions as the cobra wiring does, with the
// options a command line would give, but without cobra.

// testApp is an App as Execute builds one, writing to buffers.
func testApp(cfgPath string) (app *App, stdout, stderr *bytes.Buffer) {
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	app = &App{In: strings.NewReader(""), Out: stdout, Err: stderr, ConfigPath: cfgPath,
		Log: slog.New(slog.DiscardHandler), IsTerminal: func() bool { return false }}
	return app, stdout, stderr
}

// exitOf is the code Execute would exit with after err.
func exitOf(err error) exitcode.Code { return exitcode.For(err) }

// enqueue puts one punches batch for the config's HTTP target (or for
// "hr-api" when hr.url is a database) into the outbox.
func enqueue(t *testing.T, cfgPath, key string) int64 {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	target := "hr-api"
	if cfg.HRIsHTTP() {
		sink, err := importer.NewHTTPSink(cfg)
		if err != nil {
			t.Fatal(err)
		}
		target = sink.Target()
	}
	sess, err := importer.OpenState(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	id, err := outbox.Enqueue(ctx, sess.State.DB, outbox.Event{Target: target, Kind: "punches", IdempotencyKey: key,
		Payload: []byte(`[{"employee_id":"E1","time":"2025-12-01T08:00:00Z"}]`), ContentType: "application/json"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRunConfigCheck(t *testing.T) {
	cfg := quickstart(t)
	app, out, _ := testApp(cfg)
	if err := runConfigCheck(context.Background(), app, configCheckOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "config "+cfg+" is valid\n") || !strings.Contains(out.String(), "  source gate: ") {
		t.Fatalf("stdout:\n%s", out)
	}
	app, out, _ = testApp(cfg)
	app.Quiet = true
	if err := runConfigCheck(context.Background(), app, configCheckOptions{}); err != nil || out.Len() != 0 {
		t.Fatalf("--quiet: %v, stdout %q", err, out)
	}
	app, _, _ = testApp(filepath.Join(t.TempDir(), "nope.yaml"))
	if err := runConfigCheck(context.Background(), app, configCheckOptions{}); exitOf(err) != exitcode.Usage {
		t.Fatalf("missing config: %v (exit %d), want exit %d", err, exitOf(err), exitcode.Usage)
	}
}

// TestRunRunsList: an import run by runImport is in the history that
// runRunsList and runRunsShow print.
func TestRunRunsList(t *testing.T) {
	ctx := context.Background()
	cfg := quickstart(t)
	app, out, _ := testApp(cfg)
	if err := runRunsList(ctx, app, runsListOptions{Limit: 20, Output: "json"}); err != nil || out.String() != "[]\n" {
		t.Fatalf("a fresh history: %v, stdout %q", err, out)
	}
	app, _, _ = testApp(cfg)
	if err := runImport(ctx, app, importOptions{Args: "hrsync import --password=hunter2"}); exitOf(err) != exitcode.Rejected {
		t.Fatalf("import: %v (exit %d), want exit %d", err, exitOf(err), exitcode.Rejected)
	}

	app, out, _ = testApp(cfg)
	if err := runRunsList(ctx, app, runsListOptions{Limit: 20, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var runs []state.Run
	if err := json.Unmarshal(out.Bytes(), &runs); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if len(runs) != 1 || runs[0].Command != "import" || runs[0].ExitCode == nil || exitcode.Code(*runs[0].ExitCode) != exitcode.Rejected ||
		runs[0].Args != "hrsync import --password=******" {
		t.Fatalf("runs %+v", runs)
	}

	app, out, _ = testApp(cfg)
	if err := runRunsList(ctx, app, runsListOptions{Limit: 20, Output: "table"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID  STARTED") || !strings.Contains(lines[1], "  import  ") ||
		!strings.Contains(lines[1], "imported 390") {
		t.Fatalf("table:\n%s", out)
	}

	app, out, _ = testApp(cfg)
	if err := runRunsShow(ctx, app, runsShowOptions{ID: fmt.Sprint(runs[0].ID), Output: "table"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "command line   hrsync import --password=****** --config="+cfg+"\n") {
		t.Fatalf("show:\n%s", out)
	}
	if err := runRunsShow(ctx, app, runsShowOptions{ID: "x"}); exitOf(err) != exitcode.Usage {
		t.Fatalf("run id x: %v, want a usage error", err)
	}
}

// TestRunEventsListAndMarkProcessed: an event in the outbox is listed,
// closed by hand with a note, and then listed as processed.
func TestRunEventsListAndMarkProcessed(t *testing.T) {
	ctx := context.Background()
	cfg := quickstart(t)
	id := enqueue(t, cfg, "k1")

	app, out, _ := testApp(cfg)
	if err := runEventsList(ctx, app, eventsListOptions{Limit: 100, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var events []eventView
	if err := json.Unmarshal(out.Bytes(), &events); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if len(events) != 1 || events[0].ID != id || events[0].Status != outbox.Pending || events[0].Target != "hr-api" {
		t.Fatalf("events %+v", events)
	}
	if err := runEventsList(ctx, app, eventsListOptions{Status: "bogus"}); exitOf(err) != exitcode.Usage {
		t.Fatalf("--status bogus: %v, want a usage error", err)
	}

	app, _, _ = testApp(cfg)
	if err := runMarkProcessed(ctx, app, markProcessedOptions{ID: fmt.Sprint(id), Note: "  "}); exitOf(err) != exitcode.Usage {
		t.Fatalf("without a note: %v, want a usage error", err)
	}
	if err := runMarkProcessed(ctx, app, markProcessedOptions{ID: "0", Note: "x"}); exitOf(err) != exitcode.Usage {
		t.Fatalf("event 0: %v, want a usage error", err)
	}
	app, _, errOut := testApp(cfg)
	if err := runMarkProcessed(ctx, app, markProcessedOptions{ID: fmt.Sprint(id), Note: "entered by hand"}); err != nil {
		t.Fatal(err)
	}
	if errOut.String() != fmt.Sprintf("event %d marked processed\n", id) {
		t.Fatalf("stderr %q", errOut)
	}
	// A change by hand is in the run history like any run.
	app, out, _ = testApp(cfg)
	if err := runRunsList(ctx, app, runsListOptions{Limit: 20, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var runs []state.Run
	if err := json.Unmarshal(out.Bytes(), &runs); err != nil || len(runs) == 0 {
		t.Fatalf("runs: %v\n%s", err, out)
	}
	if r := runs[0]; r.Command != "mark-processed" || r.ExitCode == nil || *r.ExitCode != 0 || r.Counts["processed"] != 1 {
		t.Fatalf("the newest run is %+v, want mark-processed, exit 0, processed 1", r)
	}

	app, out, _ = testApp(cfg)
	if err := runEventsList(ctx, app, eventsListOptions{Status: outbox.Processed, Limit: 100}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ID  STATUS") || !strings.HasPrefix(lines[1], fmt.Sprintf("%d   processed  hr-api", id)) {
		t.Fatalf("table:\n%s", out)
	}
	app, out, _ = testApp(cfg)
	if err := runEventsShow(ctx, app, eventsShowOptions{ID: fmt.Sprint(id), Output: "table"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "note             entered by hand\n") {
		t.Fatalf("show:\n%s", out)
	}
}

// TestRunRetry: retry sends what is due as its session opens, says what it
// sent, exits 4 when an event still failed, and is in the run history.
func TestRunRetry(t *testing.T) {
	ctx := context.Background()
	var status atomic.Int64 // the target's answer
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		fmt.Fprint(w, `{"accepted": 1}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no\nE1,1\n"), 0o644)
	os.WriteFile(cfg, []byte(`hr:
  url: `+srv.URL+`/punches
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
`), 0o644)

	app, _, _ := testApp(quickstart(t))
	if err := runRetry(ctx, app, retryOptions{Output: "table"}); exitOf(err) != exitcode.Usage {
		t.Fatalf("retry with a database hr.url: %v, want a usage error", err)
	}

	first := enqueue(t, cfg, "k1")
	app, out, _ := testApp(cfg)
	if err := runRetry(ctx, app, retryOptions{Output: "json", Args: "hrsync retry --output=json"}); err != nil {
		t.Fatal(err)
	}
	var sum outbox.Summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum != (outbox.Summary{Due: 1, Succeeded: 1}) {
		t.Fatalf("summary %+v (%v)\n%s", sum, err, out)
	}

	// The target refuses the next batch for good; a named event already
	// delivered is not sent again.
	status.Store(http.StatusBadRequest)
	enqueue(t, cfg, "k2")
	app, _, errOut := testApp(cfg)
	err := runRetry(ctx, app, retryOptions{IDs: []string{fmt.Sprint(first)}, Output: "table"})
	if exitOf(err) != exitcode.Queued {
		t.Fatalf("retry: %v (exit %d), want exit %d", err, exitOf(err), exitcode.Queued)
	}
	want := fmt.Sprintf("event %d is succeeded: nothing to send\nsent 1: 0 succeeded, 0 will be retried, 1 failed for good", first)
	if !strings.HasPrefix(errOut.String(), want) {
		t.Fatalf("stderr %q, want it to start %q", errOut, want)
	}

	app, out, _ = testApp(cfg)
	if err := runRunsList(ctx, app, runsListOptions{Limit: 20, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var runs []state.Run
	if err := json.Unmarshal(out.Bytes(), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Command != "retry" || runs[0].ExitCode == nil || exitcode.Code(*runs[0].ExitCode) != exitcode.Queued ||
		runs[1].Args != "hrsync retry --output=json" {
		t.Fatalf("runs %+v", runs)
	}
}
