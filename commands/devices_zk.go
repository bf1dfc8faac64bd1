package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/exitcode"
)

// deviceProtocolCommands are the `devices` subcommands that talk to the
// configured machines over the ZK protocol (sources/zk).
func deviceProtocolCommands(app *App) []*cobra.Command {
	return []*cobra.Command{newDevicesInfoCmd(app), newDevicesUsersCmd(app), newDevicesSetTimeCmd(app), newDevicesCopyTemplatesCmd(app)}
}

type devicesInfoOptions struct {
	Devices []string
	Output  string
}

func newDevicesInfoCmd(app *App) *cobra.Command {
	var o devicesInfoOptions
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Model, firmware, serial, counts and capacity, clock and drift of each configured punch machine",
		Long: `info connects to each device the config lists under a source's devices:
(port 4370) and shows what support asks first: serial, model, firmware,
platform, users and records held against capacity, the device clock and its
drift from this computer's. Nothing on the device is changed.

Exit codes: 0 every device answered, 1 a device could not be read.`,
		Example: `  hrsync devices info
  hrsync devices info --device gate --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDevicesInfo(cmd.Context(), app, o) },
	}
	cmd.Flags().StringSliceVar(&o.Devices, "device", nil, "only this device (repeatable; default: every configured device)")
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

func unreadable(n int, what string) error {
	if n == 0 {
		return nil
	}
	return exitcode.Incomplete(exitcode.Failed, "%d devices could not be %s", n, what)
}

// configuredDevices are the config's devices the --device names pick (all
// when none); a config error or an unknown name is a usage error already.
func configuredDevices(app *App, names []string) ([]config.DeviceConn, error) {
	cfg, err := app.loadConfig()
	if err != nil {
		return nil, err
	}
	return importer.SelectDevices(cfg, names)
}

func runDevicesInfo(ctx context.Context, app *App, o devicesInfoOptions) error {
	devs, err := configuredDevices(app, o.Devices)
	if err != nil {
		return err
	}
	infos := importer.DevicesInfo(ctx, devs)
	failed := 0
	for _, s := range infos {
		if s.Error != "" {
			failed++
		}
	}
	if o.Output == "json" {
		return firstError(app.printJSON(infos), unreadable(failed, "read"))
	}
	tw := app.table("DEVICE", "ADDRESS", "SERIAL", "MODEL", "FIRMWARE", "PLATFORM", "USERS", "RECORDS", "FINGERS", "FACES", "CLOCK", "DRIFT")
	for _, s := range infos {
		if s.Error != "" {
			fmt.Fprintf(tw, "%s/%s\t%s\terror: %s\n", s.Source, s.Device, s.Address, s.Error)
			continue
		}
		z := s.Sizes
		drift := signedDuration(s.Drift)
		if s.DriftBeyond {
			drift += " (beyond tolerance: hrsync devices set-time)"
		}
		fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%d/%d\t%d/%d\t%d/%d\t%s\t%s\n", s.Source, s.Device, s.Address,
			s.Serial, s.Model, s.Firmware, s.Platform, z.Users, z.UserCap, z.Records, z.RecordCap, z.Fingers, z.FingerCap,
			z.Faces, z.FaceCap, s.Clock.Format("2006-01-02 15:04:05 -07:00"), drift)
	}
	return firstError(tw.Flush(), unreadable(failed, "read"))
}

func signedDuration(d time.Duration) string {
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

type devicesUsersOptions struct {
	Devices []string
	Output  string
}

func newDevicesUsersCmd(app *App) *cobra.Command {
	var o devicesUsersOptions
	cmd := &cobra.Command{
		Use:   "users",
		Short: "The users each configured punch machine holds (PIN, name, card, privilege)",
		Long: `users reads each device's user table (the device is disabled while it is
read and enabled again after, also on errors). Passwords stored on the
device are never shown, only whether there is one.

Exit codes: 0 every device answered, 1 a device could not be read.`,
		Example: `  hrsync devices users
  hrsync devices users --device gate --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDevicesUsers(cmd.Context(), app, o) },
	}
	cmd.Flags().StringSliceVar(&o.Devices, "device", nil, "only this device (repeatable; default: every configured device)")
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

func runDevicesUsers(ctx context.Context, app *App, o devicesUsersOptions) error {
	devs, err := configuredDevices(app, o.Devices)
	if err != nil {
		return err
	}
	all := importer.ReadDeviceUsers(ctx, devs)
	failed := 0
	for _, du := range all {
		if du.Error != "" {
			failed++
		}
	}
	if o.Output == "json" {
		return firstError(app.printJSON(all), unreadable(failed, "read"))
	}
	tw := app.table("DEVICE", "UID", "PIN", "NAME", "CARD", "PRIVILEGE", "GROUP", "PASSWORD")
	for _, du := range all {
		if du.Error != "" {
			fmt.Fprintf(tw, "%s/%s\terror: %s\n", du.Source, du.Device, du.Error)
			continue
		}
		for _, u := range du.Users {
			pw := ""
			if u.HasPassword {
				pw = "set"
			}
			fmt.Fprintf(tw, "%s/%s\t%d\t%s\t%s\t%d\t%d\t%s\t%s\n", du.Source, du.Device, u.UID, printable(u.PIN), printable(u.Name), u.Card, u.Privilege, u.Group, pw)
		}
	}
	return firstError(tw.Flush(), unreadable(failed, "read"))
}

type devicesSetTimeOptions struct {
	Devices []string
	Output  string
	Args    string
}

func newDevicesSetTimeCmd(app *App) *cobra.Command {
	var o devicesSetTimeOptions
	cmd := &cobra.Command{
		Use:   "set-time",
		Short: "Set each configured punch machine's clock to this computer's",
		Long: `set-time sets the clock of each device (or the ones named with --device) to
this computer's time in the device's configured zone, and prints the drift
before and after. pull only reports drift; the clock changes only here.
The run is recorded in the history.

Exit codes: 0 every device set, 1 a device could not be set.`,
		Example: `  hrsync devices set-time --device gate
  hrsync devices set-time`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = commandLine(cmd)
			return runDevicesSetTime(cmd.Context(), app, o)
		},
	}
	cmd.Flags().StringSliceVar(&o.Devices, "device", nil, "only this device (repeatable; default: every configured device)")
	addJSONOutputFlag(cmd, &o.Output, "json: print each device's drift before and after as JSON on stdout")
	return cmd
}

func runDevicesSetTime(ctx context.Context, app *App, o devicesSetTimeOptions) error {
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	res, err := importer.SetDeviceTime(ctx, importer.SetTimeOptions{Config: cfg, Devices: o.Devices, Args: o.Args, Log: app.Log})
	if err != nil {
		return err // a config error or an unknown --device: usage errors already
	}
	if o.Output == "json" {
		return firstError(app.printJSON(res.Lines), res.Outcome())
	}
	for _, l := range res.Lines {
		if l.Error != "" {
			fmt.Fprintf(app.Err, "%s/%s: failed (%s)\n", l.Source, l.Device, l.Error)
			continue
		}
		app.say("%s/%s: clock set (drift %s before, %s after)", l.Source, l.Device, signedDuration(l.Before), signedDuration(l.After))
	}
	return res.Outcome()
}

type devicesCopyTemplatesOptions struct {
	From   string
	To     []string
	Output string
	Args   string
}

func newDevicesCopyTemplatesCmd(app *App) *cobra.Command {
	var o devicesCopyTemplatesOptions
	cmd := &cobra.Command{
		Use:   "copy-templates",
		Short: "Copy fingerprint templates from one punch machine to others, so staff enrolled once are recognised everywhere",
		Long: `copy-templates reads every fingerprint template of the --from device and
writes each one to the --to devices, for the user with the same PIN there
(run push-users with the devices target first, so every device holds the
users). Templates of a PIN a device does not hold are counted and skipped.
Face templates are not copied. The run is recorded in the history.

Exit codes: 0 every device written, 1 a device could not be, 2 usage.`,
		Example: `  hrsync devices copy-templates --from gate --to store,warehouse`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Args = commandLine(cmd)
			return runDevicesCopyTemplates(cmd.Context(), app, o)
		},
	}
	cmd.Flags().StringVar(&o.From, "from", "", "the device whose templates are copied (required)")
	cmd.Flags().StringSliceVar(&o.To, "to", nil, "the devices to copy to (comma-separated or repeated; required)")
	addJSONOutputFlag(cmd, &o.Output, "json: print what each device got as JSON on stdout")
	return cmd
}

func runDevicesCopyTemplates(ctx context.Context, app *App, o devicesCopyTemplatesOptions) error {
	if o.From == "" {
		return exitcode.Usagef("--from: name the device to copy from")
	}
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	res, err := importer.CopyTemplates(ctx, importer.CopyTemplatesOptions{Config: cfg, From: o.From, To: o.To, Args: o.Args, Log: app.Log})
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return firstError(app.printJSON(res.Lines), res.Outcome())
	}
	app.say("%d templates read from %s", res.Read, o.From)
	for _, l := range res.Lines {
		if l.Error != "" {
			fmt.Fprintf(app.Err, "%s: failed (%s)\n", l.Device, l.Error)
			continue
		}
		line := fmt.Sprintf("%s: %d templates copied", l.Device, l.Copied)
		if l.NoUser > 0 {
			line += fmt.Sprintf(", %d skipped: their user is not on this device (push-users first)", l.NoUser)
		}
		app.say("%s", line)
	}
	return res.Outcome()
}
