package zk

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/hrsync/hrsync/internal/setting"
)

// DefaultPort is the port ZKTeco devices listen on, TCP and UDP.
const DefaultPort = "4370"

// Endpoint is where a device is reached.
type Endpoint struct {
	Addr string // host:port
	UDP  bool
}

// ParseURL reads a device address: zk://host[:port] (TCP), zk://host:port?udp
// (UDP), or a bare host[:port]. The port defaults to 4370. Config uses it,
// so config check refuses what a pull would.
func ParseURL(s string) (Endpoint, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Endpoint{}, fmt.Errorf("is empty: want zk://host:4370 (add ?udp for a device that speaks only UDP)")
	}
	if !strings.Contains(s, "://") {
		s = "zk://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%q is not a device address: want zk://host:4370", s)
	}
	if u.Scheme != "zk" {
		return Endpoint{}, fmt.Errorf("scheme %q: a device address is zk://host:4370", u.Scheme)
	}
	if u.User != nil {
		return Endpoint{}, fmt.Errorf("a device address has no user or password; the comm key goes in comm_key: or comm_key_file:")
	}
	if u.Path != "" && u.Path != "/" {
		return Endpoint{}, fmt.Errorf("a device address has no path (%q)", u.Path)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return Endpoint{}, fmt.Errorf("%q names no host: want zk://host:4370", s)
	}
	if port == "" {
		port = DefaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Endpoint{}, fmt.Errorf("port %q is not a number from 1 to 65535", port)
	}
	ep := Endpoint{Addr: net.JoinHostPort(host, port)}
	for k, v := range u.Query() {
		switch {
		case k == "udp" && (len(v) == 0 || v[0] == "" || v[0] == "true" || v[0] == "1"):
			ep.UDP = true
		case k == "tcp" && (len(v) == 0 || v[0] == "" || v[0] == "true" || v[0] == "1"):
		default:
			return Endpoint{}, fmt.Errorf("unknown option ?%s: the only one is ?udp (for devices without TCP)", k)
		}
	}
	return ep, nil
}

// ParseCommKey reads a comm key as the device menu shows it: a number from
// 0 (no key, the factory default) to 999999. Its value never appears in the
// error.
func ParseCommKey(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n > 999999 {
		return 0, fmt.Errorf("is not a comm key: the device menu's Comm Key is a number from 0 to 999999")
	}
	return uint32(n), nil
}

// What a pull does with a device's log once its records are safe.
const (
	AfterPullKeep  = "keep"
	AfterPullClear = "clear"
)

// AfterPullModes are the values of a device source's after_pull:.
var AfterPullModes = []string{AfterPullKeep, AfterPullClear}

// ParseAfterPull reads after_pull: keep (default) or clear.
func ParseAfterPull(s string) (string, error) {
	return setting.Choice(s, AfterPullKeep, AfterPullModes)
}
