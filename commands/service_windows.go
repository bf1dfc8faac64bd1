//go:build windows

package commands

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// runAsWindowsService runs run under the service manager when the process
// was started by it (hrsync service install registered "serve"), stopping
// it on the manager's Stop or Shutdown; handled is false otherwise.
func runAsWindowsService(ctx context.Context, run func(context.Context) error) (handled bool, err error) {
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
	run func(context.Context) error
	err error
}

func (h *serviceHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.run(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case h.err = <-done:
			return true, uint32(exitcode.For(h.err))
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				// serve answers what is in flight, then returns.
				status <- svc.Status{State: svc.StopPending, WaitHint: uint32((shutdownGrace + 5*time.Second) / time.Millisecond)}
				cancel()
				h.err = <-done
				return true, uint32(exitcode.For(h.err))
			}
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
	s, err := m.CreateService(o.Name, exe, mgr.Config{
		DisplayName: "hrsync push endpoint (" + o.Name + ")",
		Description: "Receives the punches ZKTeco terminals push and imports them into the HR system (hrsync serve).",
		StartType:   mgr.StartAutomatic,
	}, "serve", "--config", o.Config, "--log-file", o.LogFile)
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
	app.say("installed service %s: %s serve --config %s --log-file %s", o.Name, exe, o.Config, o.LogFile)
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
	deadline := time.Now().Add(shutdownGrace + 15*time.Second)
	for st.State != svc.Stopped {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not stop within %s", o.Name, shutdownGrace+15*time.Second)
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
