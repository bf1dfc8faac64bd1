package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/zk"
)

// A source with devices: is read from punch machines over the ZK protocol
// (port 4370): `hrsync pull` writes each device's new log records into the
// source's inbox as a CSV, and import reads the inbox.
//
//	sources:
//	  machines:
//	    devices:
//	      - name: gate                         # names the device in files, reports and commands
//	        url: zk://10.0.0.21:4370           # TCP; zk://10.0.0.22:4370?udp for UDP-only devices
//	        timezone: Asia/Ho_Chi_Minh         # the zone its clock shows (default: the source's)
//	      - name: warehouse
//	        url: zk://10.0.0.22
//	        comm_key_file: keys/warehouse.key  # a device's own key (else the source's)
//	    comm_key: ${ZK_COMM_KEY}               # or comm_key_file:; 0 or none: no key
//	    after_pull: keep                       # or clear: once every record read is in the HR system
//	    drift_tolerance: 60s                   # a clock further off is a warning
//	    timeout: 10s                           # each connect and read
//	    retries: 2                             # connection attempts after the first
//
// The mapping defaults to the CSV hrsync writes (DeviceCSVHeader).
type DeviceSource struct {
	Devices        []*Device `yaml:"devices"`
	CommKey        Secret    `yaml:"comm_key"`
	CommKeyFile    string    `yaml:"comm_key_file"`
	AfterPull      string    `yaml:"after_pull"`
	DriftTolerance Duration  `yaml:"drift_tolerance"`
	Timeout        Duration  `yaml:"timeout"`
	Retries        *int      `yaml:"retries"`
}

// Device is one punch machine of a device source.
type Device struct {
	Name        string `yaml:"name"`
	URL         string `yaml:"url"`
	Timezone    string `yaml:"timezone"`
	CommKey     Secret `yaml:"comm_key"`
	CommKeyFile string `yaml:"comm_key_file"`
}

// Defaults of a device source.
const (
	DefaultDriftTolerance = 60 * time.Second
	DefaultDeviceTimeout  = 10 * time.Second
	DefaultDeviceRetries  = 2
)

// DeviceCSVHeader is the header of the files a device pull writes. The names
// are ones map-check --suggest knows: the serial as the device column, the
// PIN as the employee key, the time (RFC 3339, the device's wall clock with
// its zone's offset), the punch state as the direction.
var DeviceCSVHeader = []string{"serial_no", "pin", "time", "state", "verify", "work_code"}

// DeviceTimeLayout is how the time column is written.
const DeviceTimeLayout = time.RFC3339

// HasDevices reports whether the source reads punch machines.
func (s *Source) HasDevices() bool { return len(s.Devices) > 0 }

func (d *DeviceSource) keysSet() bool {
	return d.CommKey != "" || d.CommKeyFile != "" || d.AfterPull != "" || d.DriftTolerance != 0 || d.Timeout != 0 || d.Retries != nil
}

// expandDeviceSecrets fills the comm keys from ${ENV} or their files.
func (c *Config) expandDeviceSecrets(key string, s *Source) error {
	if err := c.secretFrom(key+".comm_key", &s.CommKey, s.CommKeyFile); err != nil {
		return err
	}
	for i, d := range s.Devices {
		if d == nil {
			return c.errAt(fmt.Sprintf("%s.devices", key), fmt.Sprintf("entry %d is empty", i+1))
		}
		var err error
		if d.URL, err = c.expandEnv(fmt.Sprintf("%s.devices.%d.url", key, i), d.URL); err != nil {
			return err
		}
		if err := c.secretFrom(fmt.Sprintf("%s.devices.%d.comm_key", key, i), &d.CommKey, d.CommKeyFile); err != nil {
			return err
		}
	}
	return nil
}

// applyDeviceDefaults gives a device source the mapping of the CSV its pull
// writes, when it has none.
func applyDeviceDefaults(s *Source) {
	if !s.HasDevices() {
		return
	}
	for _, d := range s.Devices {
		if d != nil && d.Timezone == "" {
			d.Timezone = s.Timezone
		}
	}
	m := &s.Mapping
	if !m.EmployeeKey.Column.IsZero() || !m.Time.Column.IsZero() {
		return
	}
	*m = DeviceMapping()
}

// DeviceMapping is the mapping of the CSV a device pull writes: the punch
// states as ZKTeco firmware numbers them (0 check-in, 1 check-out, 2 break
// out, 3 break in, 4 overtime in, 5 overtime out; others kept as unknown).
func DeviceMapping() mapping.Spec {
	return mapping.Spec{
		EmployeeKey: mapping.Field{Column: mapping.Column{Name: "pin"}},
		Time:        mapping.Field{Column: mapping.Column{Name: "time"}, Layout: DeviceTimeLayout},
		Device:      &mapping.Field{Column: mapping.Column{Name: "serial_no"}},
		Direction: &mapping.DirectionField{Field: mapping.Field{Column: mapping.Column{Name: "state"}},
			Codes: map[mapping.Direction][]string{
				mapping.DirIn: {"0"}, mapping.DirOut: {"1"}, mapping.DirBreakOut: {"2"},
				mapping.DirBreakIn: {"3"}, mapping.DirOvertimeIn: {"4"}, mapping.DirOvertimeOut: {"5"},
			}, Unknown: mapping.UnknownKeep},
	}
}

// validateDevices checks a source's devices: and the settings beside it with
// sources/zk's parsers, so config check refuses what a pull would.
func (c *Config) validateDevices(s *Source) error {
	key := "sources." + s.Name
	if !s.HasDevices() {
		if s.keysSet() {
			return c.errAt(key+".devices", "comm_key, after_pull, drift_tolerance, timeout and retries are for a source with devices: (punch machines)")
		}
		return nil
	}
	switch {
	case s.Path != "":
		return c.errAt(key+".path", "a source with devices: is read from its inbox, where pull puts what the devices hold; it has no path:")
	case s.URL != "":
		return c.errAt(key+".url", "a device's address goes under devices: (url: zk://host:4370), not on the source")
	case s.Pull != nil:
		return c.errAt(key+".pull", "a source reads either devices: or remote files (pull:), not both")
	}
	if _, err := zk.ParseAfterPull(s.AfterPull); err != nil {
		return c.errAt(key+".after_pull", err.Error())
	}
	if s.DriftTolerance < 0 || s.Timeout < 0 {
		return c.errAt(key, "drift_tolerance and timeout must not be negative")
	}
	if s.Retries != nil && (*s.Retries < 0 || *s.Retries > 10) {
		return c.errAt(key+".retries", "must be from 0 to 10")
	}
	if _, err := zk.ParseCommKey(string(s.CommKey)); err != nil && !c.secretsUnused {
		return c.errAt(key+".comm_key", err.Error())
	}
	names := map[string]bool{}
	for i, d := range s.Devices {
		dk := fmt.Sprintf("%s.devices.%d", key, i)
		switch {
		case strings.TrimSpace(d.Name) == "":
			return c.errAt(key+".devices", fmt.Sprintf("device %d: name: is required", i+1))
		case strings.ContainsAny(d.Name, `/\:*?"<>| `):
			return c.errAt(key+".devices", fmt.Sprintf("device %q: a name is used in file names; use letters, digits, - and _", d.Name))
		case names[d.Name]:
			return c.errAt(key+".devices", fmt.Sprintf("device %q is listed twice", d.Name))
		}
		names[d.Name] = true
		if _, err := zk.ParseURL(d.URL); err != nil {
			return c.errAt(key+".devices", fmt.Sprintf("device %q: url: %s", d.Name, err))
		}
		if _, err := time.LoadLocation(d.Timezone); err != nil {
			return c.errAt(key+".devices", fmt.Sprintf("device %q: timezone: unknown time zone %q", d.Name, d.Timezone))
		}
		if _, err := zk.ParseCommKey(string(d.CommKey)); err != nil && !c.secretsUnused {
			return c.errAt(dk, fmt.Sprintf("device %q: comm_key %s", d.Name, err))
		}
	}
	return nil
}

// DeviceConn is what the pull and the devices commands need to reach one
// device: its address, key and zone, checked when the file was parsed.
type DeviceConn struct {
	Source, Name string
	Endpoint     zk.Endpoint
	CommKey      uint32
	Location     *time.Location
	Timeout      time.Duration
	Retries      int
	AfterPull    string
	Drift        time.Duration // the tolerance
}

// Options is the client configuration for this device.
func (d DeviceConn) Options() zk.Options {
	return zk.Options{CommKey: d.CommKey, Timeout: d.Timeout, Location: d.Location, UDP: d.Endpoint.UDP}
}

// DeviceConns lists a source's devices, in the file's order.
func (s *Source) DeviceConns() []DeviceConn {
	out := make([]DeviceConn, 0, len(s.Devices))
	after, _ := zk.ParseAfterPull(s.AfterPull)
	for _, d := range s.Devices {
		ep, _ := zk.ParseURL(d.URL)
		key := s.CommKey
		if d.CommKey != "" {
			key = d.CommKey
		}
		ck, _ := zk.ParseCommKey(string(key))
		loc, err := time.LoadLocation(d.Timezone)
		if err != nil {
			loc = s.Location()
		}
		dc := DeviceConn{Source: s.Name, Name: d.Name, Endpoint: ep, CommKey: ck, Location: loc,
			Timeout: time.Duration(s.Timeout), Retries: DefaultDeviceRetries, AfterPull: after, Drift: time.Duration(s.DriftTolerance)}
		if dc.Timeout == 0 {
			dc.Timeout = DefaultDeviceTimeout
		}
		if s.Retries != nil {
			dc.Retries = *s.Retries
		}
		if dc.Drift == 0 {
			dc.Drift = DefaultDriftTolerance
		}
		out = append(out, dc)
	}
	return out
}

// AllDevices lists every configured device, source by source in name order.
func (c *Config) AllDevices() []DeviceConn {
	var out []DeviceConn
	for _, n := range c.SourceNames() {
		out = append(out, c.Sources[n].DeviceConns()...)
	}
	return out
}
