package commands

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// The Windows service's control loop and command line, apart from the
// Windows API so that they build and are tested on every OS:
// service_windows.go only translates svc.ChangeRequest and svc.Status to
// and from the types below.

// svcState is the state reported to the service manager.
type svcState int

const (
	svcStartPending svcState = iota + 1
	svcRunning
	svcStopPending
)

func (s svcState) String() string {
	return map[svcState]string{svcStartPending: "start-pending", svcRunning: "running", svcStopPending: "stop-pending"}[s]
}

// svcControl is a change request of the service manager.
type svcControl int

const (
	svcInterrogate svcControl = iota + 1
	svcStop
	svcShutdown
	svcOther // a control the service does not accept (pause, ...)
)

// svcStatus is one status report.
type svcStatus struct {
	State      svcState
	AcceptStop bool // Stop and Shutdown are accepted (only while running)
	CheckPoint uint32
	WaitHint   time.Duration
}

// serviceManager is what the loop needs of the service manager.
type serviceManager interface {
	Requests() <-chan svcControl
	Report(svcStatus)
}

// serviceRun is serve under a service manager.
type serviceRun struct {
	Manager serviceManager
	// Run is serve: it calls ready once every endpoint accepts, and returns
	// once ctx is cancelled and the requests in flight are answered.
	Run func(ctx context.Context, ready func()) error
	// StartHint and StopHint are the WaitHints reported while starting and
	// stopping: the manager's patience. A stop is given StopHint to finish.
	StartHint, StopHint time.Duration
	// Tick is how often a pending stop reports progress (CheckPoint+1).
	Tick time.Duration
}

// serviceStopHint is how long a stop may take: serve's own grace for the
// requests in flight, and some for the import batch under way.
const serviceStopHint = shutdownGrace + 10*time.Second

// loop reports StartPending, Running once serve accepts, and on Stop or
// Shutdown (or ctx's end) StopPending with StopHint while serve answers what
// is in flight, progress every Tick; Interrogate is answered with the last
// status. It returns serve's exit code and error, or an error of its own
// when serve outlives StopHint (the manager then ends the process).
func (s serviceRun) loop(ctx context.Context) (uint32, error) {
	cur := svcStatus{State: svcStartPending, WaitHint: s.StartHint}
	s.Manager.Report(cur)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readyc := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() { done <- s.Run(rctx, func() { once.Do(func() { close(readyc) }) }) }()
	req := s.Manager.Requests()
	exit := func(err error) (uint32, error) { return uint32(exitcode.For(err)), err }
running:
	for {
		select {
		case <-readyc:
			readyc = nil
			cur = svcStatus{State: svcRunning, AcceptStop: true}
			s.Manager.Report(cur)
		case err := <-done:
			return exit(err)
		case c := <-req:
			switch c {
			case svcInterrogate:
				s.Manager.Report(cur)
			case svcStop, svcShutdown:
				break running
			}
		case <-ctx.Done():
			break running
		}
	}
	cur = svcStatus{State: svcStopPending, CheckPoint: 1, WaitHint: s.StopHint}
	s.Manager.Report(cur)
	cancel()
	tick := time.NewTicker(s.Tick)
	defer tick.Stop()
	limit := time.NewTimer(s.StopHint)
	defer limit.Stop()
	for {
		select {
		case err := <-done:
			return exit(err)
		case c := <-req:
			if c == svcInterrogate {
				s.Manager.Report(cur)
			}
		case <-tick.C:
			cur.CheckPoint++
			s.Manager.Report(cur)
		case <-limit.C:
			return exit(fmt.Errorf("serve did not stop within %s", s.StopHint))
		}
	}
}

// serviceArgs is the command line the service is registered with: serve,
// the config and the log file as absolute paths (a service starts in
// System32), nothing else. A secret never goes into it (anyone may read a
// service's command line): the config names its secrets as ${ENV} or
// *_file, read when the service starts.
func serviceArgs(o serviceOptions) ([]string, error) {
	if o.Config == "" || o.LogFile == "" {
		return nil, exitcode.Usagef("the service needs a config file and a log file")
	}
	for _, p := range []*string{&o.Config, &o.LogFile} {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return nil, err
		}
		*p = abs
	}
	return []string{"serve", "--config", o.Config, "--log-file", o.LogFile}, nil
}

// checkServiceName: the service manager refuses a name with a slash or a
// backslash, and one longer than 256 characters; a blank one is a mistake.
func checkServiceName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > 256 || strings.ContainsAny(name, `/\`) {
		return exitcode.Usagef("--name %q: want up to 256 characters without / or \\", name)
	}
	return nil
}

// serviceDisplay is the name and description the service manager lists.
func serviceDisplay(name string) (display, description string) {
	return "hrsync push endpoint (" + name + ")",
		"Receives the punches ZKTeco terminals push and imports them into the HR system (hrsync serve)."
}
