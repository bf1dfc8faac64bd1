package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/sources/iclock"
)

// deviceRegistryCommands are the `devices` subcommands over the push
// endpoint's registry (internal/pushstore).
func deviceRegistryCommands(app *App) []*cobra.Command {
	return []*cobra.Command{
		newDevicesListCmd(app, false), newDevicesListCmd(app, true),
		newDevicesApproveCmd(app), newDevicesRejectCmd(app, false), newDevicesRejectCmd(app, true),
		newDevicesCommandCmd(app), newDevicesCommandsCmd(app),
	}
}

type devicesListOptions struct {
	Pending bool
	Output  string
}

// deviceRow is a registry row as listings print it.
type deviceRow struct {
	Serial     string     `json:"serial"`
	Name       string     `json:"name"`
	TimeZone   string     `json:"timezone"`
	Approved   bool       `json:"approved"`
	Online     bool       `json:"online"`
	FirstSeen  *time.Time `json:"first_seen,omitempty"`
	LastSeen   *time.Time `json:"last_seen,omitempty"`
	LastUpload *time.Time `json:"last_upload,omitempty"`
	Address    string     `json:"address"`
	Received   int64      `json:"received"`
	Malformed  int64      `json:"malformed"`
	Info       string     `json:"info,omitempty"`
}

func newDevicesListCmd(app *App, pending bool) *cobra.Command {
	o := devicesListOptions{Pending: pending}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the devices that push to hrsync serve: name, zone, last seen, last upload, online or offline",
		Example: `  hrsync devices list
  hrsync devices list --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDevicesList(cmd.Context(), app, o) },
	}
	if pending {
		cmd.Use, cmd.Short = "pending", "List the devices that called but are not approved (their uploads are refused)"
		cmd.Example = `  hrsync devices pending
  hrsync devices approve CKJ8201560123 --name "Gate 1" --timezone Asia/Ho_Chi_Minh`
	}
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

// openPushStore opens the push database of the config, for the devices
// commands (serve may be running: the store is shared safely).
func openPushStore(ctx context.Context, cfg *config.Config) (*pushstore.Store, error) {
	return pushstore.Open(ctx, cfg.PushStorePath())
}

// readPushStore opens the push database for a listing: the config read
// without its secrets, no run recorded.
func readPushStore(ctx context.Context, app *App) (*config.Config, *pushstore.Store, error) {
	cfg, err := app.loadConfigForReading()
	if err != nil {
		return nil, nil, err
	}
	st, err := openPushStore(ctx, cfg)
	return cfg, st, err
}

func runDevicesList(ctx context.Context, app *App, o devicesListOptions) error {
	cfg, st, err := readPushStore(ctx, app)
	if err != nil {
		return err
	}
	defer st.Close()
	devs, err := st.Devices(ctx, o.Pending)
	if err != nil {
		return err
	}
	within := time.Duration(cfg.ServeSettings().OnlineWithin)
	now := time.Now()
	rows := make([]deviceRow, 0, len(devs))
	for _, d := range devs {
		rows = append(rows, deviceRow{Serial: d.Serial, Name: d.Name, TimeZone: d.TimeZone, Approved: d.Allowed,
			Online: d.Online(now, within), FirstSeen: timeOrNil(d.FirstSeen), LastSeen: timeOrNil(d.LastSeen),
			LastUpload: timeOrNil(d.LastUpload), Address: d.RemoteAddr, Received: d.Received, Malformed: d.Bad, Info: d.Info})
	}
	if o.Output == "json" {
		return app.printJSON(rows)
	}
	if len(rows) == 0 {
		if o.Pending {
			app.say("no device is waiting for approval")
		} else {
			app.say("no device has called %s yet (and none is approved)", cfg.PushStorePath())
		}
		return nil
	}
	tw := app.table("SERIAL", "NAME", "ZONE", "STATUS", "LAST SEEN", "LAST UPLOAD", "RECEIVED", "ADDRESS")
	for _, r := range rows {
		status := "pending"
		switch {
		case r.Approved && r.Online:
			status = "online"
		case r.Approved:
			status = "offline"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.Serial, dash(r.Name), dash(r.TimeZone), status,
			whenText(r.LastSeen), whenText(r.LastUpload), r.Received, dash(r.Address))
	}
	return tw.Flush()
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func whenText(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type devicesApproveOptions struct {
	Serial, Name, TimeZone string
	Args                   string
}

func newDevicesApproveCmd(app *App) *cobra.Command {
	var o devicesApproveOptions
	cmd := &cobra.Command{
		Use:   "approve SERIAL",
		Short: "Allow a device to push (a pending one, or one that has not called yet), with a name and a time zone",
		Example: `  hrsync devices approve CKJ8201560123 --name "Gate 1" --timezone Asia/Ho_Chi_Minh
  hrsync devices approve CKJ8201560124`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Serial, o.Args = args[0], commandLine(cmd)
			return runDevicesApprove(cmd.Context(), app, o)
		},
	}
	cmd.Flags().StringVar(&o.Name, "name", "", "a name for people (e.g. the site and door)")
	cmd.Flags().StringVar(&o.TimeZone, "timezone", "", "the IANA zone of the device's clock (default: the push source's timezone)")
	return cmd
}

// registryRun runs a change to the registry or the command queue as a run
// of its own, so the history says who approved or commanded what, when.
func registryRun(ctx context.Context, app *App, command, args string, fn func(*pushstore.Store) error) (err error) {
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	run, err := importer.BeginRun(ctx, cfg, importer.RunSpec{Command: command, Args: args, SendNothing: true, Log: app.Log})
	if err != nil {
		return err
	}
	counts := report.Counts{}
	defer func() { run.End(ctx, counts, err) }()
	st, err := openPushStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(st)
}

func checkSerial(sn string) error {
	if !iclock.ValidSerial(sn) {
		return exitcode.Usagef("serial %q: want up to 32 letters, digits, - or _", sn)
	}
	return nil
}

func runDevicesApprove(ctx context.Context, app *App, o devicesApproveOptions) error {
	if err := checkSerial(o.Serial); err != nil {
		return err
	}
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			return exitcode.Usagef("--timezone %q: not an IANA zone such as Asia/Ho_Chi_Minh", o.TimeZone)
		}
	}
	return registryRun(ctx, app, "devices approve", o.Args, func(st *pushstore.Store) error {
		if err := st.Allow(ctx, o.Serial, o.Name, o.TimeZone); err != nil {
			return err
		}
		app.say("approved %s: its uploads are accepted from its next call", o.Serial)
		return nil
	})
}

type devicesRejectOptions struct {
	Serial string
	Remove bool
	Args   string
}

func newDevicesRejectCmd(app *App, remove bool) *cobra.Command {
	o := devicesRejectOptions{Remove: remove}
	cmd := &cobra.Command{
		Use:     "reject SERIAL",
		Short:   "Refuse a device's uploads from now on (it stays listed as pending; what it sent stays stored)",
		Example: `  hrsync devices reject CKJ8201560123`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Serial, o.Args = args[0], commandLine(cmd)
			return runDevicesReject(cmd.Context(), app, o)
		},
	}
	if remove {
		cmd.Use = "remove SERIAL"
		cmd.Short = "Forget a device: its registry row, stamps and queued commands (its stored punches stay)"
		cmd.Example = `  hrsync devices remove CKJ8201560123`
	}
	return cmd
}

func runDevicesReject(ctx context.Context, app *App, o devicesRejectOptions) error {
	if err := checkSerial(o.Serial); err != nil {
		return err
	}
	command := "devices reject"
	if o.Remove {
		command = "devices remove"
	}
	return registryRun(ctx, app, command, o.Args, func(st *pushstore.Store) error {
		var ok bool
		var err error
		if o.Remove {
			ok, err = st.Remove(ctx, o.Serial)
		} else {
			ok, err = st.Disallow(ctx, o.Serial)
		}
		if err != nil {
			return err
		}
		if !ok {
			return exitcode.Usagef("no device %s in the registry (hrsync devices list)", o.Serial)
		}
		app.say("%s: %s", strings.TrimPrefix(command, "devices "), o.Serial)
		return nil
	})
}

type devicesCommandOptions struct {
	Serial, Command string
	Params          []string
	From, To        string
	TextTime        bool
	Args            string
}

// deviceCommandNames are the commands `devices command` queues.
var deviceCommandNames = []string{"check", "info", "log", "query-log", "reboot", "set-time", "delete-user"}

func newDevicesCommandCmd(app *App) *cobra.Command {
	var o devicesCommandOptions
	cmd := &cobra.Command{
		Use:   "command SERIAL " + strings.Join(deviceCommandNames, "|") + " [ARGS]",
		Short: "Queue a command for a pushing device; it takes it on its next poll",
		Long: `command queues a command the device takes on its next poll (GET /iclock/getrequest):

  check        compare stamps with the server and upload what is new
  info         send the device's information (firmware, counts, address)
  log          upload the new records (firmware that knows LOG)
  query-log    upload the punches between --from and --to (DATA QUERY ATTLOG)
  reboot       restart the device
  set-time     set the device's clock to this machine's, in the device's zone
               (SET OPTION DateTime=..., the time written when the device
               takes the command; --text-time for firmware that wants
               YYYY-MM-DD hh:mm:ss instead of ZKTeco's packed seconds)
  delete-user  PIN: remove a user and the user's templates

The device's zone is the one "devices approve SN --timezone ZONE" gave it
(else the push source's timezone). A pushing device also sets its clock by
its own time request, which serve answers the same way; "reboot" makes it
ask at once. User records go out with "hrsync push-users" and
push_users.target.type: iclock. The results, with each device's return
code: hrsync devices commands SERIAL.`,
		Example: `  hrsync devices command CKJ8201560123 check
  hrsync devices command CKJ8201560123 query-log --from "2026-12-01 00:00:00" --to "2026-12-02 00:00:00"
  hrsync devices command CKJ8201560123 set-time
  hrsync devices command CKJ8201560123 delete-user 1042`,
		Args: cobra.MinimumNArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 1 {
				return deviceCommandNames, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Serial, o.Command, o.Params, o.Args = args[0], args[1], args[2:], commandLine(cmd)
			return runDevicesCommand(cmd.Context(), app, o)
		},
	}
	cmd.Flags().StringVar(&o.From, "from", "", "query-log: the first time, device clock (YYYY-MM-DD hh:mm:ss)")
	cmd.Flags().StringVar(&o.To, "to", "", "query-log: the last time, device clock")
	cmd.Flags().BoolVar(&o.TextTime, "text-time", false, "set-time: send YYYY-MM-DD hh:mm:ss, not ZKTeco's packed seconds")
	return cmd
}

// commandBody is the queued line for o, built by iclock's constructors.
func commandBody(o devicesCommandOptions) (string, error) {
	wantParams := func(n int) error {
		if len(o.Params) != n {
			return exitcode.Usagef("%s takes %d arguments, got %d", o.Command, n, len(o.Params))
		}
		return nil
	}
	if o.TextTime && o.Command != "set-time" {
		return "", exitcode.Usagef("--text-time is for set-time")
	}
	switch o.Command {
	case "check", "info", "log", "reboot":
		if err := wantParams(0); err != nil {
			return "", err
		}
		return map[string]string{"check": iclock.CmdCheck, "info": iclock.CmdInfo, "log": iclock.CmdLog, "reboot": iclock.CmdReboot}[o.Command], nil
	case "set-time":
		if err := wantParams(0); err != nil {
			return "", err
		}
		if o.TextTime {
			return iclock.CmdSetTimeText, nil
		}
		return iclock.CmdSetTime, nil
	case "query-log":
		if err := wantParams(0); err != nil {
			return "", err
		}
		from, err1 := time.Parse("2006-01-02 15:04:05", o.From)
		to, err2 := time.Parse("2006-01-02 15:04:05", o.To)
		if err1 != nil || err2 != nil || to.Before(from) {
			return "", exitcode.Usagef("query-log needs --from and --to as YYYY-MM-DD hh:mm:ss, --from first")
		}
		return iclock.QueryAttLog(from, to), nil
	case "delete-user":
		if err := wantParams(1); err != nil {
			return "", err
		}
		body, err := iclock.DeleteUser(o.Params[0])
		return body, exitcode.AsUsage(err)
	}
	return "", exitcode.Usagef("unknown device command %q (want %s)", o.Command, strings.Join(deviceCommandNames, ", "))
}

func runDevicesCommand(ctx context.Context, app *App, o devicesCommandOptions) error {
	if err := checkSerial(o.Serial); err != nil {
		return err
	}
	body, err := commandBody(o)
	if err != nil {
		return err
	}
	return registryRun(ctx, app, "devices command", o.Args, func(st *pushstore.Store) error {
		d, known, err := st.Device(ctx, o.Serial)
		if err != nil {
			return err
		}
		if !known || !d.Allowed {
			return exitcode.Usagef("device %s is not approved: hrsync devices approve %s first", o.Serial, o.Serial)
		}
		id, err := st.Enqueue(ctx, o.Serial, body)
		if err != nil {
			return err
		}
		if body == iclock.CmdSetTime || body == iclock.CmdSetTimeText {
			app.say("queued command %d for %s: %s (the time is written when the device takes it)", id, o.Serial, body)
			return nil
		}
		app.say("queued command %d for %s: %s", id, o.Serial, body)
		return nil
	})
}

type devicesCommandsOptions struct {
	Serial string
	Output string
}

func newDevicesCommandsCmd(app *App) *cobra.Command {
	var o devicesCommandsOptions
	cmd := &cobra.Command{
		Use:   "commands SERIAL",
		Short: "List a device's commands: queued, sent, or done with the device's return code",
		Example: `  hrsync devices commands CKJ8201560123
  hrsync devices commands CKJ8201560123 --output json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Serial = args[0]
			return runDevicesCommands(cmd.Context(), app, o)
		},
	}
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

// commandRow is a queued command as listings print it.
type commandRow struct {
	ID     int64  `json:"id"`
	Body   string `json:"command"`
	Status string `json:"status"`
	Return *int64 `json:"return,omitempty"`
	Result string `json:"result,omitempty"`
}

func runDevicesCommands(ctx context.Context, app *App, o devicesCommandsOptions) error {
	if err := checkSerial(o.Serial); err != nil {
		return err
	}
	_, st, err := readPushStore(ctx, app)
	if err != nil {
		return err
	}
	defer st.Close()
	cs, err := st.Commands(ctx, o.Serial)
	if err != nil {
		return err
	}
	rows := make([]commandRow, 0, len(cs))
	for _, c := range cs {
		r := commandRow{ID: c.ID, Body: c.Body, Status: c.Status, Result: c.Result}
		if c.ReturnCode.Valid {
			v := c.ReturnCode.Int64
			r.Return = &v
		}
		rows = append(rows, r)
	}
	if o.Output == "json" {
		return app.printJSON(rows)
	}
	if len(rows) == 0 {
		app.say("no command was queued for %s", o.Serial)
		return nil
	}
	tw := app.table("ID", "STATUS", "RETURN", "COMMAND")
	for _, r := range rows {
		ret := "-"
		if r.Return != nil {
			ret = fmt.Sprint(*r.Return)
			if *r.Return != 0 {
				ret += " (failed)"
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.ID, r.Status, ret, tabsAsSpaces(r.Body))
	}
	return tw.Flush()
}

// tabsAsSpaces shows a command's tabs as spaces, so the table stays aligned.
func tabsAsSpaces(s string) string { return strings.ReplaceAll(s, "\t", " ") }
