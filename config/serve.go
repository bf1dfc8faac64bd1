package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hrsync/hrsync/sources/iclock"
)

// Serve configures `hrsync serve`, the endpoint ZKTeco terminals push
// punches to (ADMS / iclock), and the sources that read what it received.
type Serve struct {
	// Listen is host:port. The default, DefaultListen, is loopback only:
	// devices on the LAN need an address of this machine (":8081" for
	// every interface), which is a decision to write down, not a default.
	Listen string `yaml:"listen"`
	// cert_file and key_file, when both are set, serve HTTPS (firmware
	// with a certificate option); most terminals speak plain HTTP only.
	TLSFiles `yaml:",inline"`
	// LegacyTLS is the old spelling, tls: { cert_file, key_file }: still read,
	// moved into TLSFiles with a deprecation note.
	LegacyTLS *TLSFiles `yaml:"tls"`
	// Store is the push database (received punches, registry, commands);
	// default <data_dir>/push.db.
	Store string `yaml:"store"`
	// MaxBody bounds one request body in bytes; default 4 MiB.
	MaxBody int64 `yaml:"max_body"`
	// RateLimit is requests per second each device (by serial) may make;
	// the burst is 4 times as many. 0: the default, 5; -1: no limit.
	RateLimit float64 `yaml:"rate_limit"`
	// ImportEvery makes serve import what it received itself, a run per
	// batch at this interval (0: never; `hrsync import` does it).
	ImportEvery Duration `yaml:"import_every"`
	// Delay is the seconds between a device's polls the handshake asks
	// for (default 30); OnlineWithin is how long after its last call a
	// device counts as online (default 3 polls, at least 1m).
	Delay        Duration `yaml:"delay"`
	OnlineWithin Duration `yaml:"online_within"`
}

// Defaults of the serve section.
const (
	DefaultListen    = "127.0.0.1:8081"
	DefaultMaxBody   = 4 << 20
	DefaultRateLimit = 5
	DefaultDelay     = 30 * time.Second
)

// ServeSettings returns the serve section with its defaults filled in
// (a config without one serves with every default).
func (c *Config) ServeSettings() Serve {
	s := Serve{}
	if c.Serve != nil {
		s = *c.Serve
	}
	if s.Listen == "" {
		s.Listen = DefaultListen
	}
	if s.Store == "" {
		s.Store = filepath.Join(c.DataDir, "push.db")
	}
	if s.MaxBody == 0 {
		s.MaxBody = DefaultMaxBody
	}
	if s.RateLimit == 0 {
		s.RateLimit = DefaultRateLimit
	}
	if s.Delay == 0 {
		s.Delay = Duration(DefaultDelay)
	}
	if s.OnlineWithin == 0 {
		s.OnlineWithin = Duration(max(3*time.Duration(s.Delay), time.Minute))
	}
	return s
}

// PushStorePath is where the push database is, for serve, the push sources
// and the devices commands.
func (c *Config) PushStorePath() string { return c.ServeSettings().Store }

// PushSources names the sources that read the push database, in name order.
func (c *Config) PushSources() []string {
	var out []string
	for _, n := range c.SourceNames() {
		if c.Sources[n].Push {
			out = append(out, n)
		}
	}
	return out
}

func (c *Config) validateServe() error {
	s := c.Serve
	if s == nil {
		return nil
	}
	if err := c.checkListen("serve.listen", s.Listen, DefaultListen+", or :8081 for every interface"); err != nil {
		return err
	}
	if t := s.LegacyTLS; t != nil {
		if s.CertFile != "" || s.KeyFile != "" {
			return c.errAt("serve.tls", "give serve.cert_file and serve.key_file only (serve.tls is their old spelling)")
		}
		s.TLSFiles, s.LegacyTLS = *t, nil
		c.deprecations = append(c.deprecations, fmt.Sprintf("%s: serve.tls: { cert_file, key_file } is deprecated; write serve.cert_file and serve.key_file, as console: has them", c.Path))
	}
	if err := c.checkTLSFiles("serve", s.TLSFiles); err != nil {
		return err
	}
	if s.MaxBody < 0 || (s.MaxBody > 0 && s.MaxBody < 4096) {
		return c.errAt("serve.max_body", fmt.Sprintf("%d: want at least 4096 bytes (a device uploads a few hundred records at once)", s.MaxBody))
	}
	if s.RateLimit < -1 || (s.RateLimit < 0 && s.RateLimit != -1) {
		return c.errAt("serve.rate_limit", "want requests per second per device, or -1 for no limit")
	}
	if s.ImportEvery != 0 && time.Duration(s.ImportEvery) < time.Second {
		return c.errAt("serve.import_every", "want at least 1s, or leave it out to import with `hrsync import`")
	}
	if s.ImportEvery != 0 && len(c.PushSources()) == 0 {
		return c.errAt("serve.import_every", "no source has push: true, so there is nothing to import")
	}
	if s.Delay < 0 || s.OnlineWithin < 0 {
		return c.errAt("serve.delay", "durations must be positive")
	}
	return nil
}

// checkListen checks a listen address (serve.listen, console.listen): a
// port, and a host that is an IP address, localhost, or empty for every
// interface. "" is the default and passes.
func (c *Config) checkListen(key, addr, example string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return c.errAt(key, fmt.Sprintf("%q: want host:port, e.g. %s", addr, example))
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return c.errAt(key, fmt.Sprintf("%q: the port must be a number from 0 to 65535", addr))
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return c.errAt(key, fmt.Sprintf("%q: the host must be an IP address, localhost, or empty for every interface", addr))
	}
	return nil
}

// validatePushSource checks a source with push: true, which reads the push
// database: no file, database or pull of its own.
func (c *Config) validatePushSource(s *Source) error {
	key := "sources." + s.Name
	if s.Path != "" || s.URL != "" || s.Pull != nil || s.Inbox != "" || s.Table != "" || s.Query != "" || s.Watermark != nil {
		return c.errAt(key+".push", "a push source reads what `hrsync serve` received; it takes no path, url, pull, inbox, table, query or watermark")
	}
	if _, err := time.LoadLocation(s.Timezone); err != nil {
		return c.errAt(key+".timezone", fmt.Sprintf("unknown time zone %q", s.Timezone))
	}
	if err := s.Mapping.Validate(); err != nil {
		return c.errAt(key+".mapping", err.Error())
	}
	return nil
}

func (c *Config) resolveServePaths() {
	if s := c.Serve; s != nil {
		s.Store = c.Resolve(s.Store)
		c.resolveTLSFiles(&s.TLSFiles)
	}
}

// TargetIclock is push_users.target.kind for the pushing devices: users
// go out as DATA UPDATE USERINFO / DATA DELETE USERINFO commands queued in
// the push store, taken by each device on its next poll.
const TargetIclock = "iclock"

func (c *Config) validateIclockTarget(key string, t *UsersTarget) error {
	if t.URL != "" {
		return c.errAt(key+".url", "the iclock target queues commands in the push store; it takes no url")
	}
	for _, sn := range t.Devices {
		if !iclock.ValidSerial(sn) {
			return c.errAt(key+".devices", fmt.Sprintf("%q is not a device serial (letters, digits, - and _, up to 32)", sn))
		}
	}
	return nil
}
