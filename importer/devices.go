package importer

import (
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/sources/zk"
)

// SelectDevices picks the configured devices by name (every one when names
// is empty); an unknown name is a usage error listing the known ones.
func SelectDevices(cfg *config.Config, names []string) ([]config.DeviceConn, error) {
	all := cfg.AllDevices()
	if len(all) == 0 {
		return nil, &config.Error{File: cfg.Path, Key: "sources", Msg: "no source lists devices: (punch machines read over port 4370)"}
	}
	if len(names) == 0 {
		return all, nil
	}
	var out []config.DeviceConn
	for _, n := range names {
		i := slices.IndexFunc(all, func(d config.DeviceConn) bool { return d.Name == n || d.Source+"/"+d.Name == n })
		if i < 0 {
			known := make([]string, len(all))
			for j, d := range all {
				known[j] = d.Name
			}
			return nil, exitcode.Usagef("--device %q: no such device (configured: %s)", n, strings.Join(known, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// DeviceStatus is what `hrsync devices info` shows of one device: the
// "device doctor" a support call starts with.
type DeviceStatus struct {
	Source   string        `json:"source"`
	Device   string        `json:"device"`
	Address  string        `json:"address"`
	Serial   string        `json:"serial,omitempty"`
	Model    string        `json:"model,omitempty"` // the device name option, which firmware sets to the model
	Firmware string        `json:"firmware,omitempty"`
	Platform string        `json:"platform,omitempty"`
	Sizes    *zk.Sizes     `json:"sizes,omitempty"`
	Clock    time.Time     `json:"clock,omitzero"`
	Drift    time.Duration `json:"drift_ns"`
	// DriftBeyond: the drift is past the source's drift_tolerance.
	DriftBeyond bool   `json:"drift_beyond_tolerance"`
	Error       string `json:"error,omitempty"`
}

// DevicesInfo reads identity, counts and capacities, and the clock of each
// device. A device that cannot be read has its Error set; the others are
// still read.
func DevicesInfo(ctx context.Context, devs []config.DeviceConn) []DeviceStatus {
	out := make([]DeviceStatus, 0, len(devs))
	for _, dc := range devs {
		s := DeviceStatus{Source: dc.Source, Device: dc.Name, Address: deviceRemote(dc)[len(dc.Name)+1:]}
		if err := deviceInfo(ctx, dc, &s); err != nil {
			s.Error = err.Error()
		}
		out = append(out, s)
	}
	return out
}

func deviceInfo(ctx context.Context, dc config.DeviceConn, s *DeviceStatus) error {
	c, err := DialDevice(ctx, dc)
	if err != nil {
		return err
	}
	defer c.Close()
	in, err := c.Info(ctx)
	if err != nil {
		return err
	}
	s.Serial, s.Model, s.Firmware, s.Platform = in.Serial, in.DeviceName, in.Firmware, in.Platform
	sz, err := c.Sizes(ctx)
	if err != nil {
		return err
	}
	s.Sizes = &sz
	if s.Clock, s.Drift, err = c.Drift(ctx); err != nil {
		return err
	}
	s.DriftBeyond = absDuration(s.Drift) > dc.Drift
	return nil
}

// DeviceUsers is one device's user table.
type DeviceUsers struct {
	Source string       `json:"source"`
	Device string       `json:"device"`
	Users  []DeviceUser `json:"users"`
	Error  string       `json:"error,omitempty"`
}

// DeviceUser is a device user as shown: a password the device holds is
// never printed, only that there is one.
type DeviceUser struct {
	UID         uint16 `json:"uid"`
	PIN         string `json:"pin"`
	Name        string `json:"name"`
	Card        uint32 `json:"card,omitempty"`
	Privilege   uint8  `json:"privilege"`
	Group       string `json:"group,omitempty"`
	HasPassword bool   `json:"has_password"`
}

// ReadDeviceUsers reads the user table of each device (the device disabled
// while it is read).
func ReadDeviceUsers(ctx context.Context, devs []config.DeviceConn) []DeviceUsers {
	out := make([]DeviceUsers, 0, len(devs))
	for _, dc := range devs {
		du := DeviceUsers{Source: dc.Source, Device: dc.Name, Users: []DeviceUser{}}
		c, err := DialDevice(ctx, dc)
		if err == nil {
			var us []zk.User
			us, err = c.ReadUsers(ctx)
			for _, u := range us {
				du.Users = append(du.Users, DeviceUser{UID: u.UID, PIN: u.PIN, Name: u.Name, Card: u.Card,
					Privilege: u.Privilege, Group: u.Group, HasPassword: u.Password != ""})
			}
			c.Close()
		}
		if err != nil {
			du.Error = err.Error()
		}
		out = append(out, du)
	}
	return out
}

// SetTimeOptions for `hrsync devices set-time`.
type SetTimeOptions struct {
	Config  *config.Config
	Devices []string
	Args    string
	Log     *slog.Logger
	Now     func() time.Time
}

// SetTimeLine is one device's clock before and after.
type SetTimeLine struct {
	Source string        `json:"source"`
	Device string        `json:"device"`
	Before time.Duration `json:"drift_before_ns"`
	After  time.Duration `json:"drift_after_ns"`
	Error  string        `json:"error,omitempty"`
}

// SetTimeResult is what a set-time run did.
type SetTimeResult struct {
	RunID int64
	Lines []SetTimeLine
}

// Outcome is an exit-1 outcome when a device could not be set.
func (r *SetTimeResult) Outcome() error {
	n := 0
	for _, l := range r.Lines {
		if l.Error != "" {
			n++
		}
	}
	if n > 0 {
		return exitcode.Incomplete(exitcode.Failed, "%d devices could not be set", n)
	}
	return nil
}

// SetDeviceTime sets each selected device's clock to the host's, as a run
// in the history (a device's clock is changed only when someone asks).
func SetDeviceTime(ctx context.Context, opts SetTimeOptions) (res SetTimeResult, err error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	devs, err := SelectDevices(opts.Config, opts.Devices)
	if err != nil {
		return res, err
	}
	run, err := BeginRun(ctx, opts.Config, RunSpec{Command: "devices set-time", Args: opts.Args, SendNothing: true, Log: opts.Log})
	if err != nil {
		return res, err
	}
	res.RunID = run.ID
	counts := report.Counts{}
	defer func() { run.End(ctx, counts, firstErr(err, res.Outcome())) }()
	for _, dc := range devs {
		l := SetTimeLine{Source: dc.Source, Device: dc.Name}
		if err := setTime(ctx, dc, opts.Now, &l); err != nil {
			l.Error = err.Error()
			counts["failed"]++
		} else {
			counts["set"]++
			run.Log.Info("device clock set", "device", dc.Name, "drift_before", l.Before.String())
		}
		res.Lines = append(res.Lines, l)
	}
	return res, nil
}

func setTime(ctx context.Context, dc config.DeviceConn, now func() time.Time, l *SetTimeLine) error {
	c, err := DialDevice(ctx, dc)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, l.Before, err = c.Drift(ctx); err != nil {
		return err
	}
	// The device keeps whole seconds: set it at the next second's start.
	t := now()
	time.Sleep(t.Truncate(time.Second).Add(time.Second).Sub(t))
	if err := c.SetTime(ctx, now()); err != nil {
		return err
	}
	if _, l.After, err = c.Drift(ctx); err != nil {
		return fmt.Errorf("reading the clock after setting it: %w", err)
	}
	return nil
}

// CopyTemplatesOptions for `hrsync devices copy-templates`.
type CopyTemplatesOptions struct {
	Config *config.Config
	From   string
	To     []string
	Args   string
	Log    *slog.Logger
}

// CopyTemplatesLine is what one target device got.
type CopyTemplatesLine struct {
	Device string `json:"device"`
	Copied int    `json:"copied"`
	// NoUser are templates whose user (by PIN) the device does not hold:
	// push-users (target devices) creates them; then copy again.
	NoUser int    `json:"no_user"`
	Error  string `json:"error,omitempty"`
}

// CopyTemplatesResult is what a copy-templates run did.
type CopyTemplatesResult struct {
	RunID int64
	Read  int // templates read from the source device
	Lines []CopyTemplatesLine
}

// Outcome is an exit-1 outcome when a device could not be written.
func (r *CopyTemplatesResult) Outcome() error {
	n := 0
	for _, l := range r.Lines {
		if l.Error != "" {
			n++
		}
	}
	if n > 0 {
		return exitcode.Incomplete(exitcode.Failed, "%d devices could not be written", n)
	}
	return nil
}

// CopyTemplates copies the fingerprint templates of one device to others,
// user by user matched by PIN (UIDs differ between devices), so staff
// enrolled once are recognised at every device. Templates of a PIN the
// target does not hold are counted, not written. Face templates are not
// copied: the protocol description hrsync follows has no face transfer.
func CopyTemplates(ctx context.Context, opts CopyTemplatesOptions) (res CopyTemplatesResult, err error) {
	from, err := SelectDevices(opts.Config, []string{opts.From})
	if err != nil {
		return res, err
	}
	if len(opts.To) == 0 {
		return res, exitcode.Usagef("--to: name the devices to copy to")
	}
	to, err := SelectDevices(opts.Config, opts.To)
	if err != nil {
		return res, err
	}
	for _, d := range to {
		if d.Source == from[0].Source && d.Name == from[0].Name {
			return res, exitcode.Usagef("--to %s: a device cannot be copied onto itself", d.Name)
		}
	}
	run, err := BeginRun(ctx, opts.Config, RunSpec{Command: "devices copy-templates", Args: opts.Args, SendNothing: true, Log: opts.Log})
	if err != nil {
		return res, err
	}
	res.RunID = run.ID
	counts := report.Counts{}
	defer func() { run.End(ctx, counts, firstErr(err, res.Outcome())) }()

	c, err := DialDevice(ctx, from[0])
	if err != nil {
		return res, err
	}
	users, err := c.ReadUsers(ctx)
	var tmpls []zk.Template
	if err == nil {
		tmpls, err = c.ReadTemplates(ctx)
	}
	c.Close()
	if err != nil {
		return res, err
	}
	res.Read = len(tmpls)
	pinOf := map[uint16]string{}
	for _, u := range users {
		pinOf[u.UID] = u.PIN
	}
	for _, dc := range to {
		l := CopyTemplatesLine{Device: dc.Name}
		if err := copyTemplatesTo(ctx, dc, tmpls, pinOf, &l); err != nil {
			l.Error = err.Error()
			counts["failed"]++
		} else {
			counts["copied"] += int64(l.Copied)
			counts["no_user"] += int64(l.NoUser)
		}
		res.Lines = append(res.Lines, l)
	}
	return res, nil
}

func copyTemplatesTo(ctx context.Context, dc config.DeviceConn, tmpls []zk.Template, pinOf map[uint16]string, l *CopyTemplatesLine) error {
	c, err := DialDevice(ctx, dc)
	if err != nil {
		return err
	}
	defer c.Close()
	users, err := c.ReadUsers(ctx)
	if err != nil {
		return err
	}
	uidOf := map[string]uint16{}
	for _, u := range users {
		uidOf[u.PIN] = u.UID
	}
	var out []zk.Template
	for _, t := range tmpls {
		uid, ok := uidOf[pinOf[t.UID]]
		if !ok || pinOf[t.UID] == "" {
			l.NoUser++
			continue
		}
		t.UID = uid
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil
	}
	if err := c.WriteTemplates(ctx, out); err != nil {
		return err
	}
	l.Copied = len(out)
	return nil
}

// DeviceUsersDirectory makes cfg's employee directory the users that its
// configured punch machines hold (every device's, PIN as the id), so a
// map-check matches an export against the PINs staff punch with and its
// near matches say how the export's keys meet them. The users are written
// to dir as a CSV and cfg points hr.employees at it; hr.employees'
// key_transform stays, as push-users applies it to make PINs. A device
// that cannot be read fails the whole call: half a directory would call
// the other half's punches unmapped.
func DeviceUsersDirectory(ctx context.Context, cfg *config.Config, dir string) (users int, err error) {
	devs, err := SelectDevices(cfg, nil)
	if err != nil {
		return 0, err
	}
	if len(devs) == 0 {
		return 0, exitcode.Usagef("no source has devices: to read users from")
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{"id", "name", "card"})
	seen := map[string]bool{}
	for _, du := range ReadDeviceUsers(ctx, devs) {
		if du.Error != "" {
			return 0, fmt.Errorf("device %s/%s: %s", du.Source, du.Device, du.Error)
		}
		for _, u := range du.Users {
			if seen[u.PIN] {
				continue
			}
			seen[u.PIN] = true
			card := ""
			if u.Card != 0 {
				card = strconv.FormatUint(uint64(u.Card), 10)
			}
			w.Write([]string{u.PIN, u.Name, card})
		}
	}
	w.Flush()
	path := filepath.Join(dir, "device-users.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return 0, err
	}
	e := &cfg.HR.Employees
	e.File, e.Query, e.Columns, e.Match, e.Format = path, "", nil, []string{"id"}, config.Format{}
	return len(seen), nil
}
