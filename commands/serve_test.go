package commands

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
)

// pushSetup writes a config with a push source, employees 1..pins on
// attendance_no, and the serve section given (indented under serve:).
func pushSetup(t *testing.T, pins int, serve string) string {
	t.Helper()
	dir := t.TempDir()
	var emps strings.Builder
	emps.WriteString("id,attendance_no,name,status\n")
	for i := 1; i <= pins; i++ {
		fmt.Fprintf(&emps, "E%d,%d,N%d,active\n", i, i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(emps.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `timezone: UTC
lock_wait: 30s
hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  devices:
    push: true
    mapping:
      employee_key: { column: pin }
      time: { column: time }
      direction: { column: state, codes: { in: [0], out: [1] }, unknown: keep }
      device: { column: serial }
serve:
` + serve
	path := filepath.Join(dir, "hrsync.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startServe runs runServe in-process and returns the push endpoint's base
// URL and a stop function that waits for serve to return.
func startServe(t *testing.T, cfgPath string, o serveOptions) (string, func() error) {
	t.Helper()
	app, _, stderr := testApp(cfgPath)
	app.Quiet = true
	addr := make(chan string, 1)
	o.ready = func(name, a string) {
		if name == "push" {
			addr <- a
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, app, o) }()
	select {
	case a := <-addr:
		return "http://" + a, func() error { cancel(); return <-done }
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v %s", err, stderr)
	}
	return "", nil
}

func hrPunches(t *testing.T, cfgPath string) int {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(filepath.Dir(cfgPath), "hr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM attendance_punches`).Scan(&n); err != nil {
		return -1 // not created yet
	}
	return n
}

// waitFor polls cond until it holds; the deadline only keeps a broken run
// from hanging (no speed is asserted).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestServeEndToEnd drives the real serve command with the simulator: an
// unknown device is refused and listed as pending; once approved its
// handshake gets options and stamps, its uploads in the real layout are
// acknowledged and a resend adds nothing; a queued command is polled and
// its result recorded; serve's own import batches put every punch into the
// HR database once, as runs in the history; a stop is clean; a later
// `hrsync import` finds nothing new.
func TestServeEndToEnd(t *testing.T) {
	ctx := context.Background()
	cfgPath := pushSetup(t, 20, "  listen: 127.0.0.1:0\n  import_every: 1s\n")
	base, stop := startServe(t, cfgPath, serveOptions{})
	dev := &iclocksim.Device{Base: base, SN: "CKJ8201560123", PushVer: "2.4.1"}

	if code, _, err := dev.Handshake(); err != nil || code != http.StatusForbidden {
		t.Fatalf("unknown device's handshake: %d %v", code, err)
	}
	app, out, _ := testApp(cfgPath)
	if err := runDevicesList(ctx, app, devicesListOptions{Pending: true, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var pending []deviceRow
	if err := json.Unmarshal(out.Bytes(), &pending); err != nil || len(pending) != 1 || pending[0].Serial != dev.SN || pending[0].Approved {
		t.Fatalf("pending: %v %s", err, out)
	}
	if code, _, _ := dev.Upload(1, []string{iclocksim.AttLine("1", time.Now(), 0, 1)}); code != http.StatusForbidden {
		t.Fatalf("unknown device's upload: %d", code)
	}
	if err := runDevicesApprove(ctx, app, devicesApproveOptions{Serial: dev.SN, Name: "Gate 1", TimeZone: "Asia/Ho_Chi_Minh"}); err != nil {
		t.Fatal(err)
	}

	code, opts, err := dev.Handshake()
	if err != nil || code != http.StatusOK || opts["FROM"] != dev.SN || opts["ATTLOGStamp"] != "0" {
		t.Fatalf("handshake: %d %v %v", code, opts, err)
	}
	t0 := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC)
	var lines []string
	for i := range 30 {
		lines = append(lines, iclocksim.AttLine(fmt.Sprint(1+i%20), t0.Add(time.Duration(i)*time.Minute), i%2, 1))
	}
	for try := range 2 { // the second is a resend
		if _, n, err := dev.Upload(1, lines); err != nil || n != 30 {
			t.Fatalf("upload %d: %d %v", try, n, err)
		}
	}
	if _, opts, _ := dev.Handshake(); opts["ATTLOGStamp"] != "1" {
		t.Fatalf("stamp after the upload: %v", opts)
	}

	if err := runDevicesCommand(ctx, app, devicesCommandOptions{Serial: dev.SN, Command: "check"}); err != nil {
		t.Fatal(err)
	}
	code, cs, err := dev.Poll()
	if err != nil || code != http.StatusOK || len(cs) != 1 || cs[0].Body != "CHECK" {
		t.Fatalf("poll: %d %v %v", code, cs, err)
	}
	if code, err := dev.Results(cs, 0); err != nil || code != http.StatusOK {
		t.Fatalf("results: %d %v", code, err)
	}
	out.Reset()
	if err := runDevicesCommands(ctx, app, devicesCommandsOptions{Serial: dev.SN, Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var cmds []commandRow
	if err := json.Unmarshal(out.Bytes(), &cmds); err != nil || len(cmds) != 1 || cmds[0].Status != "done" || cmds[0].Return == nil || *cmds[0].Return != 0 {
		t.Fatalf("commands: %v %s", err, out)
	}
	if code, body, _ := dev.Do("GET", "/iclock/rtdata", "", "type", "time"); code != http.StatusOK || !strings.HasSuffix(body, ",ServerTZ=+0700") {
		t.Fatalf("clock: %d %q", code, body)
	}
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()

	waitFor(t, "serve's import", func() bool { return hrPunches(t, cfgPath) == 30 })
	out.Reset()
	if err := runDevicesList(ctx, app, devicesListOptions{Output: "json"}); err != nil {
		t.Fatal(err)
	}
	var all []deviceRow
	if err := json.Unmarshal(out.Bytes(), &all); err != nil || len(all) != 1 || !all[0].Online || all[0].Received != 30 || all[0].LastUpload == nil || all[0].Name != "Gate 1" {
		t.Fatalf("list: %v %s", err, out)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}

	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := importer.OpenState(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := sess.State.Runs(ctx, 50)
	sess.Close()
	if err != nil {
		t.Fatal(err)
	}
	imports, imported := 0, int64(0)
	for _, r := range runs {
		if r.Command == "import" {
			imports++
			imported += r.Counts[string(mapping.Imported)]
		}
	}
	if imports == 0 || imported != 30 {
		t.Fatalf("the history holds %d imports with %d imported, want 30 imported: %+v", imports, imported, runs)
	}
	again, err := importer.Import(ctx, importer.Options{Config: cfg})
	if err != nil || again.Counts.Total() != 0 {
		t.Fatalf("a later import: %v %v", again.Counts, err)
	}
	// The Ho Chi Minh device's 07:00 is 00:00 UTC.
	db, _ := sql.Open("sqlite", filepath.Join(filepath.Dir(cfgPath), "hr.db"))
	defer db.Close()
	var first string
	if err := db.QueryRow(`SELECT MIN(punch_time) FROM attendance_punches`).Scan(&first); err != nil || !strings.HasPrefix(first, "2026-12-01 00:00:00") {
		t.Fatalf("first punch %q %v", first, err)
	}
}

// TestServeRateLimit: a device calling faster than serve.rate_limit gets
// 429 once its burst is spent; another device is not held back by it.
func TestServeRateLimit(t *testing.T) {
	ctx := context.Background()
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n  rate_limit: 1\n")
	cfg, _ := config.Load(cfgPath)
	st, err := pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		t.Fatal(err)
	}
	st.Allow(ctx, "FAST", "", "")
	st.Allow(ctx, "SLOW", "", "")
	st.Close()
	base, stop := startServe(t, cfgPath, serveOptions{})
	defer stop()
	fast := &iclocksim.Device{Base: base, SN: "FAST"}
	limited := 0
	for range 12 {
		if code, _, _ := fast.Poll(); code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("12 polls at once were all served with rate_limit 1")
	}
	if code, _, _ := (&iclocksim.Device{Base: base, SN: "SLOW"}).Poll(); code != http.StatusOK {
		t.Fatalf("another device: %d", code)
	}
}

// TestServeRateLimitUnknownSerials: a caller trying a new serial on every
// call is limited by its address, not given a fresh limit per serial; an
// approved device that called before keeps its own limit.
func TestServeRateLimitUnknownSerials(t *testing.T) {
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n  rate_limit: 1\n")
	allow(t, cfgPath, "GATE1")
	base, stop := startServe(t, cfgPath, serveOptions{})
	defer stop()
	gate := &iclocksim.Device{Base: base, SN: "GATE1"}
	if code, _, _ := gate.Poll(); code != http.StatusOK {
		t.Fatalf("approved device: %d", code)
	}
	limited := 0
	for i := range 12 {
		if code, _, _ := (&iclocksim.Device{Base: base, SN: fmt.Sprintf("GUESS%d", i)}).Poll(); code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("12 calls with 12 serials from one address were all let through with rate_limit 1")
	}
	if code, _, _ := gate.Poll(); code != http.StatusOK {
		t.Fatalf("the approved device after the guesses: %d", code)
	}
}

// TestServeBodyLimit: an upload over serve.max_body is refused whole, and
// nothing of it is stored.
func TestServeBodyLimit(t *testing.T) {
	ctx := context.Background()
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n  max_body: 4096\n")
	cfg, _ := config.Load(cfgPath)
	st, err := pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.Allow(ctx, "BIG", "", "")
	base, stop := startServe(t, cfgPath, serveOptions{})
	defer stop()
	var lines []string
	for i := range 200 {
		lines = append(lines, iclocksim.AttLine("1", time.Date(2026, 12, 1, 7, 0, i, 0, time.UTC), 0, 1))
	}
	if code, n, _ := (&iclocksim.Device{Base: base, SN: "BIG"}).Upload(1, lines); code != http.StatusRequestEntityTooLarge || n != -1 {
		t.Fatalf("oversized upload: %d %d", code, n)
	}
	if got, _ := st.Received(ctx, ""); len(got) != 0 {
		t.Fatalf("stored %d rows of a refused upload", len(got))
	}
}

// TestServeConfigChecks: config check refuses what serve would.
func TestServeConfigChecks(t *testing.T) {
	for _, c := range []struct{ serve, want string }{
		{"  listen: nohostport\n", "serve.listen"},
		{"  cert_file: a.pem\n", "serve.key_file"},
		{"  tls: { cert_file: a.pem }\n", "serve.key_file"},
		{"  tls: { cert_file: a.pem, key_file: b.pem }\n  cert_file: c.pem\n  key_file: d.pem\n", "serve.tls"},
		{"  max_body: 10\n", "serve.max_body"},
		{"  import_every: 10ms\n", "serve.import_every"},
	} {
		_, err := config.Load(pushSetup(t, 1, c.serve))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want an error naming %s", c.serve, err, c.want)
		}
	}
}

// TestServeRunsTheConsole: with a console: section, serve also serves the
// support console on its own (loopback) address, and stops both together.
func TestServeRunsTheConsole(t *testing.T) {
	cfg := pushSetup(t, 1, "  listen: 127.0.0.1:0\n")
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(data, []byte("console:\n  listen: 127.0.0.1:0\n")...), 0o644)
	app, _, stderr := testApp(cfg)
	app.Quiet = true
	addrs := make(chan [2]string, 2)
	o := serveOptions{ready: func(name, a string) { addrs <- [2]string{name, a} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, app, o) }()
	got := map[string]string{}
	for len(got) < 2 {
		select {
		case a := <-addrs:
			got[a[0]] = a[1]
		case err := <-done:
			cancel()
			t.Fatalf("serve: %v %s", err, stderr)
		}
	}
	resp, err := http.Get("http://" + got["console"] + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Sign in") {
		t.Fatalf("console /login: %d\n%s", resp.StatusCode, body)
	}
	if resp, err := http.Get("http://" + got["push"] + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("push /healthz: %v %v", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + got["console"] + "/login"); err == nil {
		t.Fatal("the console still answers after serve stopped")
	}
}
