package commands

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
)

// fakeManager stands in for the Windows service manager: the test sends
// its change requests and reads the statuses the loop reports.
type fakeManager struct {
	req    chan svcControl
	status chan svcStatus
}

func newFakeManager() *fakeManager {
	return &fakeManager{req: make(chan svcControl), status: make(chan svcStatus, 1000)}
}

func (m *fakeManager) Requests() <-chan svcControl { return m.req }
func (m *fakeManager) Report(s svcStatus)          { m.status <- s }

func (m *fakeManager) next(t *testing.T) svcStatus {
	t.Helper()
	select {
	case s := <-m.status:
		return s
	case <-time.After(60 * time.Second): // only keeps a broken loop from hanging
		t.Fatal("no status reported")
	}
	return svcStatus{}
}

type loopResult struct {
	code uint32
	err  error
}

func startLoop(m *fakeManager, run func(context.Context, func()) error, stopHint, tick time.Duration) chan loopResult {
	done := make(chan loopResult, 1)
	go func() {
		code, err := serviceRun{Manager: m, Run: run, StartHint: 30 * time.Second, StopHint: stopHint, Tick: tick}.loop(context.Background())
		done <- loopResult{code, err}
	}()
	return done
}

// TestServiceLoopRunsServe drives the service's control loop with fake
// change requests over a real serve: StartPending, Running (Stop and
// Shutdown accepted) once the endpoint accepts, Interrogate answered with
// the current status; on Stop, StopPending with the stop's wait hint while
// an upload still arriving is read, stored and answered "OK: 1"; then the
// loop returns exit code 0.
func TestServiceLoopRunsServe(t *testing.T) {
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n")
	allow(t, cfgPath, "SVC1")
	app, _, stderr := testApp(cfgPath)
	app.Quiet = true
	addr := make(chan string, 1)
	run := func(ctx context.Context, ready func()) error {
		return runServe(ctx, app, serveOptions{started: ready, ready: func(name, a string) {
			if name == "push" {
				addr <- a
			}
		}})
	}
	m := newFakeManager()
	done := startLoop(m, run, serviceStopHint, time.Hour)
	if s := m.next(t); s.State != svcStartPending || s.AcceptStop {
		t.Fatalf("first status %+v", s)
	}
	if s := m.next(t); s.State != svcRunning || !s.AcceptStop {
		t.Fatalf("second status %+v (%s)", s, stderr)
	}
	a := <-addr
	m.req <- svcInterrogate
	if s := m.next(t); s.State != svcRunning {
		t.Fatalf("interrogated: %+v", s)
	}
	dev := &iclocksim.Device{Base: "http://" + a, SN: "SVC1"}
	if code, _, err := dev.Handshake(); err != nil || code != http.StatusOK {
		t.Fatalf("handshake under the service: %d %v", code, err)
	}

	conn, err := net.Dial("tcp", a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := iclocksim.AttLine("1", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), 0, 1) + "\n"
	fmt.Fprintf(conn, "POST /iclock/cdata?SN=SVC1&table=ATTLOG&Stamp=1 HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", a, len(body))
	io.WriteString(conn, body[:5])
	time.Sleep(100 * time.Millisecond) // the request is in flight
	m.req <- svcStop
	if s := m.next(t); s.State != svcStopPending || s.AcceptStop || s.WaitHint != serviceStopHint || s.CheckPoint != 1 {
		t.Fatalf("on stop: %+v", s)
	}
	m.req <- svcInterrogate // the manager may ask while serve stops
	if s := m.next(t); s.State != svcStopPending {
		t.Fatalf("interrogated while stopping: %+v", s)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("the loop returned with a request in flight: %+v", r)
	default:
	}
	io.WriteString(conn, body[5:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(reply) != "OK: 1" {
		t.Fatalf("in-flight upload: %d %q", res.StatusCode, reply)
	}
	if r := <-done; r.code != 0 || r.err != nil {
		t.Fatalf("loop: %+v", r)
	}
	if _, err := http.Get("http://" + a + "/healthz"); err == nil {
		t.Fatal("serve still answers after the service stopped")
	}
}

// TestServiceLoopStopOutlivesHint: a serve that does not return within the
// stop's wait hint is given up on with an error (the manager then ends the
// process); while it stops, progress is reported with rising checkpoints
// and Shutdown is taken like Stop.
func TestServiceLoopStopOutlivesHint(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	m := newFakeManager()
	done := startLoop(m, func(ctx context.Context, ready func()) error {
		ready()
		<-release // ignores ctx
		return nil
	}, 500*time.Millisecond, 20*time.Millisecond)
	m.next(t)
	if s := m.next(t); s.State != svcRunning {
		t.Fatalf("%+v", s)
	}
	m.req <- svcShutdown
	if s := m.next(t); s.State != svcStopPending {
		t.Fatalf("on shutdown: %+v", s)
	}
	r := <-done
	if r.err == nil || !strings.Contains(r.err.Error(), "did not stop within") || r.code != uint32(exitcode.Failed) {
		t.Fatalf("loop: %+v", r)
	}
	last := uint32(1)
	for len(m.status) > 0 {
		s := <-m.status
		if s.State != svcStopPending || s.CheckPoint <= last {
			t.Fatalf("progress %+v after checkpoint %d", s, last)
		}
		last = s.CheckPoint
	}
}

// TestServiceLoopServeFails: a serve that fails before it accepts (a bad
// config, a taken port) ends the service with its exit code, never
// reported Running.
func TestServiceLoopServeFails(t *testing.T) {
	m := newFakeManager()
	done := startLoop(m, func(context.Context, func()) error {
		return exitcode.Usagef("serve.listen: bad")
	}, time.Second, time.Second)
	r := <-done
	if r.code != uint32(exitcode.Usage) || r.err == nil {
		t.Fatalf("loop: %+v", r)
	}
	for len(m.status) > 0 {
		if s := <-m.status; s.State != svcStartPending {
			t.Fatalf("reported %+v", s)
		}
	}
}

// TestServiceArgs: the registered command line is serve with the config
// and the log file as absolute paths and nothing else (a secret stays in
// the config's ${ENV} or *_file, read when the service starts); service
// names the manager would refuse are refused first.
func TestServiceArgs(t *testing.T) {
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n")
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	args, err := serviceArgs(installOptions(cfg, serviceOptions{Name: "hrsync"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"serve", "--config", cfg.Path, "--log-file", filepath.Join(cfg.DataDir, "serve.log")}
	if fmt.Sprint(args) != fmt.Sprint(want) || !filepath.IsAbs(args[2]) || !filepath.IsAbs(args[4]) {
		t.Fatalf("args %q, want %q", args, want)
	}
	args, err = serviceArgs(installOptions(cfg, serviceOptions{LogFile: "logs/serve.log"}))
	if err != nil || !filepath.IsAbs(args[4]) || !strings.HasSuffix(args[4], filepath.Join("logs", "serve.log")) {
		t.Fatalf("relative log: %q %v", args, err)
	}
	if _, err := serviceArgs(serviceOptions{}); err == nil {
		t.Fatal("no config: accepted")
	}
	for name, ok := range map[string]bool{"hrsync": true, "hrsync-site 2": true, "": false, "  ": false, `a\b`: false, "a/b": false, strings.Repeat("x", 257): false} {
		if err := checkServiceName(name); (err == nil) != ok {
			t.Errorf("checkServiceName(%q) = %v", name, err)
		}
	}
}
