package commands

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/outbox"
)

// TestRetryExits4WhileFailedEventsWait: a failed event whose next try is
// later is not sent, yet the HR system still lacks its rows, so retry
// exits 4 and says so; once it is closed by hand, retry exits 0.
func TestRetryExits4WhileFailedEventsWait(t *testing.T) {
	ctx := context.Background()
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { sent.Add(1) }))
	defer srv.Close()
	cfgPath := httpConfigAt(t, srv.URL)
	id := enqueue(t, cfgPath, "k-later")
	markFailed(t, cfgPath, id)

	app, _, errOut := testApp(cfgPath)
	err := runRetry(ctx, app, retryOptions{Output: "table"})
	if exitOf(err) != exitcode.Queued || sent.Load() != 0 {
		t.Fatalf("retry with a failed event not due: %v (exit %d, %d sent), want exit 4 and nothing sent", err, exitOf(err), sent.Load())
	}
	if !strings.Contains(errOut.String(), "1 failed events wait in the outbox") {
		t.Fatalf("stderr %q", errOut)
	}
	app, out, _ := testApp(cfgPath)
	if err := runRetry(ctx, app, retryOptions{Output: "json"}); exitOf(err) != exitcode.Queued {
		t.Fatalf("--output json: %v", err)
	}
	var sum struct {
		StillFailed int `json:"still_failed"`
		ExitCode    int `json:"exit_code"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil || sum.StillFailed != 1 || sum.ExitCode != 4 {
		t.Fatalf("json %+v (%v)\n%s", sum, err, out)
	}

	app, _, _ = testApp(cfgPath)
	if err := runMarkProcessed(ctx, app, markProcessedOptions{ID: strconv.FormatInt(id, 10), Note: "entered by hand"}); err != nil {
		t.Fatal(err)
	}
	app, _, _ = testApp(cfgPath)
	if err := runRetry(ctx, app, retryOptions{Output: "table"}); err != nil {
		t.Fatalf("retry with nothing failed: %v", err)
	}
}

// httpConfigAt writes a config whose HR target is the punch API at url.
func httpConfigAt(t *testing.T, url string) string {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no\nE1,1\n"), 0o644)
	os.WriteFile(cfgPath, []byte("hr:\n  url: "+url+"/punches\n  employees: { file: employees.csv }\n"+
		"sources:\n  gate:\n    path: punches.csv\n    mapping: { employee_key: { column: 1 }, time: { column: 2, layout: \"2006-01-02 15:04:05\" } }\n"), 0o644)
	return cfgPath
}

// httpConfig is an HTTP target nothing listens on: for tests that send nothing.
func httpConfig(t *testing.T) string { return httpConfigAt(t, "https://127.0.0.1:1") }

// markFailed records a failed try of the event, next due in a day.
func markFailed(t *testing.T, cfgPath string, id int64) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := importer.OpenState(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := outbox.MarkFailed(ctx, sess.State.DB, id, 503, "down for maintenance", false, time.Now(), []time.Duration{24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
}
