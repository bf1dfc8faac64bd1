//go:build windows

package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// runAsWindowsService runs run under the service manager when the process
// was started by it (hrsync service install registered "serve"), through
// serviceRun's loop (service_loop.go); handled is false otherwise.
func runAsWindowsService(ctx context.Context, run func(context.Context, func()) error) (handled bool, err error) {
	is, err := svc.IsWindowsService()
	if err != nil || !is {
		return false, nil
	}
	h := &serviceHandler{ctx: ctx, run: run}
	if err := svc.Run("", h); err != nil {
		return true, err
	}
	return true, h.err
}

type serviceHandler struct {
	ctx context.Context
	run func(context.Context, func()) error
	err error
}

func (h *serviceHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	m := &winManager{req: req, status: status, ctl: make(chan svcControl), done: make(chan struct{})}
	go m.forward()
	defer close(m.done)
	code, err := serviceRun{Manager: m, Run: h.run, StartHint: 30 * time.Second, StopHint: serviceStopHint, Tick: 2 * time.Second}.loop(h.ctx)
	h.err = err
	return code != 0, code
}

// winManager is the service manager as the loop sees it.
type winManager struct {
	req    <-chan svc.ChangeRequest
	status chan<- svc.Status
	ctl    chan svcControl
	done   chan struct{}
}

func (m *winManager) Requests() <-chan svcControl { return m.ctl }

func (m *winManager) Report(s svcStatus) {
	st := svc.Status{CheckPoint: s.CheckPoint, WaitHint: uint32(s.WaitHint / time.Millisecond)}
	switch s.State {
	case svcStartPending:
		st.State = svc.StartPending
	case svcRunning:
		st.State = svc.Running
	case svcStopPending:
		st.State = svc.StopPending
	}
	if s.AcceptStop {
		st.Accepts = svc.AcceptStop | svc.AcceptShutdown
	}
	m.status <- st
}

// forward turns the manager's change requests into the loop's, until the
// loop has returned.
func (m *winManager) forward() {
	for {
		select {
		case c := <-m.req:
			k := svcOther
			switch c.Cmd {
			case svc.Interrogate:
				k = svcInterrogate
			case svc.Stop:
				k = svcStop
			case svc.Shutdown:
				k = svcShutdown
			}
			select {
			case m.ctl <- k:
			case <-m.done:
				return
			}
		case <-m.done:
			return
		}
	}
}

func installService(ctx context.Context, app *App, o serviceOptions) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("the service manager (run from an elevated prompt): %w", err)
	}
	defer m.Disconnect()
	if s, err := m.OpenService(o.Name); err == nil {
		s.Close()
		return exitcode.Usagef("a service named %s exists already: hrsync service uninstall --name %s first, or pick another --name", o.Name, o.Name)
	}
	args, err := serviceArgs(o)
	if err != nil {
		return err
	}
	display, description := serviceDisplay(o.Name)
	s, err := m.CreateService(o.Name, exe, mgr.Config{
		DisplayName: display,
		Description: description,
		StartType:   mgr.StartAutomatic,
	}, args...)
	if err != nil {
		return fmt.Errorf("creating the service: %w", err)
	}
	defer s.Close()
	// Restarted after a crash: punches keep arriving.
	if err := s.SetRecoveryActions([]mgr.RecoveryAction{
		{Type: mgr.ServiceRestart, Delay: 10 * time.Second},
		{Type: mgr.ServiceRestart, Delay: time.Minute},
	}, uint32((24 * time.Hour).Seconds())); err != nil {
		app.say("warning: the service will not be restarted after a failure: %v", err)
	}
	app.say("installed service %s: %s %s", o.Name, exe, strings.Join(args, " "))
	app.say("start it with: hrsync service start --name %s", o.Name)
	return nil
}

func openService(o serviceOptions) (*mgr.Mgr, *mgr.Service, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, nil, fmt.Errorf("the service manager (run from an elevated prompt): %w", err)
	}
	s, err := m.OpenService(o.Name)
	if err != nil {
		m.Disconnect()
		if errors.Is(err, windows.ERROR_SERVICE_DOES_NOT_EXIST) {
			return nil, nil, exitcode.Usagef("no service named %s: hrsync service install first", o.Name)
		}
		return nil, nil, err
	}
	return m, s, nil
}

func startService(ctx context.Context, app *App, o serviceOptions) error {
	m, s, err := openService(o)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := s.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", o.Name, err)
	}
	app.say("started %s", o.Name)
	return nil
}

func stopService(ctx context.Context, app *App, o serviceOptions) error {
	m, s, err := openService(o)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	return stopAndWait(ctx, app, o, s)
}

// stopAndWait asks the service to stop and waits until it has.
func stopAndWait(ctx context.Context, app *App, o serviceOptions, s *mgr.Service) error {
	st, err := s.Control(svc.Stop)
	if err != nil {
		if errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
			return nil
		}
		return fmt.Errorf("stopping %s: %w", o.Name, err)
	}
	wait := serviceStopHint + 5*time.Second
	deadline := time.Now().Add(wait)
	for st.State != svc.Stopped {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not stop within %s", o.Name, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
		if st, err = s.Query(); err != nil {
			return err
		}
	}
	app.say("stopped %s", o.Name)
	return nil
}

func uninstallService(ctx context.Context, app *App, o serviceOptions) error {
	m, s, err := openService(o)
	if err != nil {
		return err
	}
	defer m.Disconnect()
	defer s.Close()
	if err := stopAndWait(ctx, app, o, s); err != nil {
		return err
	}
	if err := s.Delete(); err != nil {
		return fmt.Errorf("removing %s: %w", o.Name, err)
	}
	app.say("removed service %s", o.Name)
	return nil
}
