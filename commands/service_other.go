//go:build !windows

package commands

import (
	"context"
	"errors"
)

// errNoServiceManager: the service commands are Windows's; elsewhere a unit
// file does their work.
var errNoServiceManager = errors.New("hrsync service is for Windows; on Linux run hrsync serve under systemd (examples/systemd/hrsync-serve.service, see the README)")

func runAsWindowsService(context.Context, func(context.Context, func()) error) (bool, error) {
	return false, nil
}

func installService(context.Context, *App, serviceOptions) error   { return errNoServiceManager }
func startService(context.Context, *App, serviceOptions) error     { return errNoServiceManager }
func stopService(context.Context, *App, serviceOptions) error      { return errNoServiceManager }
func uninstallService(context.Context, *App, serviceOptions) error { return errNoServiceManager }
