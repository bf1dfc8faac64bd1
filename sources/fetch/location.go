// Package fetch brings remote export files (local folders and UNC shares,
// SFTP, FTP and FTPS) into a local inbox, each file exactly once and never
// half a file: downloads land in a hidden .partial file, are checked against
// the listed size, synced and only then renamed into the inbox.
package fetch

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/setting"
)

// Location says where a source's files are and how to reach them. The lead
// decodes it from the configuration; Pull validates it.
type Location struct {
	// URL is a local path or UNC path (\\server\share\dir), file:///dir,
	// sftp://user@host:22/dir, ftp://user@host/dir or ftps://... (explicit TLS).
	// When Pattern is empty, the URL's last element may carry it
	// (sftp://host/exports/attlog_*.dat).
	URL string
	// Pattern selects file names: a glob (attlog_*.dat) and/or date
	// placeholders {yyyy} {MM} {dd} {yyyyMMdd} {yyMMdd}, which match today or
	// yesterday in Options.Zone.
	Pattern string

	User, Password             string
	PrivateKeyFile, Passphrase string // SFTP: a key (with passphrase), a password, or both

	KnownHostsFile           string // SFTP: OpenSSH known_hosts file
	HostKeyFingerprint       string // SFTP: pinned "SHA256:..." as printed by ssh-keygen -lf
	InsecureSkipHostKeyCheck bool   // SFTP: accept any host key (tests and emergencies only)

	CACertFile            string // FTPS: PEM file of the CA(s) that signed the server's certificate
	InsecureSkipTLSVerify bool   // FTPS: accept any certificate

	AfterPull  string // "keep" (default), "delete" or "move" (to ArchiveDir on the remote)
	ArchiveDir string

	// StableFor is the gap between the two looks at a file's size and
	// modification time; a file that changed in between is still being
	// written and is left for the next run. Zero means the default (2s); a
	// negative value disables the second look.
	StableFor      time.Duration
	ConnectTimeout time.Duration // default 30s
	IdleTimeout    time.Duration // no byte moved for this long aborts an operation; default 60s
	Retries        int           // extra attempts for connect and transient errors; default 2; negative: none
}

// After-pull actions.
const (
	AfterPullKeep   = "keep"
	AfterPullDelete = "delete"
	AfterPullMove   = "move"
)

// AfterPullActions are the values Location.AfterPull accepts ("" is keep).
var AfterPullActions = []string{AfterPullKeep, AfterPullDelete, AfterPullMove}

// ParseAfterPull reads an after-pull action as a pull does: "" means keep.
// Config calls it, so the list is declared once, here.
func ParseAfterPull(s string) (string, error) {
	return setting.Choice(s, AfterPullKeep, AfterPullActions)
}

const (
	defaultStableFor      = 2 * time.Second
	defaultConnectTimeout = 30 * time.Second
	defaultIdleTimeout    = 60 * time.Second
	defaultRetries        = 2
)

// endpoint is a validated Location: which backend, where, and what to pick.
type endpoint struct {
	scheme string // "local", "sftp", "ftp", "ftps"
	host   string // host:port, empty for local
	user   string
	pass   string // from the URL when given there; Location.Password wins
	dir    string // remote folder, or local folder
	match  func(name string, now time.Time) bool
	loc    Location
}

// display names the endpoint for messages, never with a password.
func (e endpoint) display() string {
	if e.scheme == "local" {
		return e.dir
	}
	u := url.URL{Scheme: e.scheme, Host: e.host, Path: e.dir}
	if e.user != "" {
		u.User = url.User(e.user)
	}
	return u.String()
}

var schemeRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]+)://`)

// SchemeLocal is ParseScheme's answer for a plain, drive or UNC path.
const SchemeLocal = "local"

// Schemes are the URL schemes a pull reaches besides a plain path.
var Schemes = []string{"file", "sftp", "ftp", "ftps"}

// ParseScheme returns a pull URL's scheme in lower case, SchemeLocal for a
// plain, drive or UNC path, and an error for a scheme Pull cannot reach.
// Config calls it, so the list is declared once, here.
func ParseScheme(raw string) (string, error) {
	m := schemeRE.FindStringSubmatch(raw)
	if m == nil {
		return SchemeLocal, nil
	}
	s := strings.ToLower(m[1])
	if !slices.Contains(Schemes, s) {
		return s, fmt.Errorf("unknown scheme %q (want a path, file://, sftp://, ftp:// or ftps://)", s)
	}
	return s, nil
}

// parseLocation checks a Location and fills in its defaults.
func parseLocation(loc Location) (endpoint, error) {
	var err error
	if loc.AfterPull, err = ParseAfterPull(loc.AfterPull); err != nil {
		return endpoint{}, fmt.Errorf("after_pull %w", err)
	}
	if loc.AfterPull == AfterPullMove && loc.ArchiveDir == "" {
		return endpoint{}, errors.New(`after_pull "move" needs archive_dir`)
	}
	if loc.StableFor == 0 {
		loc.StableFor = defaultStableFor
	}
	if loc.ConnectTimeout <= 0 {
		loc.ConnectTimeout = defaultConnectTimeout
	}
	if loc.IdleTimeout <= 0 {
		loc.IdleTimeout = defaultIdleTimeout
	}
	if loc.Retries == 0 {
		loc.Retries = defaultRetries
	} else if loc.Retries < 0 {
		loc.Retries = 0
	}
	if strings.TrimSpace(loc.URL) == "" {
		return endpoint{}, errors.New("url is empty")
	}

	ep := endpoint{loc: loc}
	if ep.scheme, err = ParseScheme(loc.URL); err != nil {
		return endpoint{}, fmt.Errorf("url %s: %w", redactURL(loc.URL), err)
	}
	if ep.scheme == SchemeLocal {
		ep.dir = loc.URL
	} else {
		u, err := url.Parse(loc.URL)
		if err != nil {
			return endpoint{}, fmt.Errorf("url %s: %w", redactURL(loc.URL), redactErr(err, loc.URL))
		}
		switch ep.scheme {
		case "file":
			ep.scheme = SchemeLocal
			ep.dir = fileURLPath(u)
		case "sftp", "ftp", "ftps":
			if u.Hostname() == "" {
				return endpoint{}, fmt.Errorf("url %s: no host", redactURL(loc.URL))
			}
			port := u.Port()
			if port == "" {
				port = map[string]string{"sftp": "22", "ftp": "21", "ftps": "21"}[ep.scheme]
			}
			ep.host = net.JoinHostPort(u.Hostname(), port)
			ep.user = u.User.Username()
			ep.pass, _ = u.User.Password()
			ep.dir = u.Path
			if ep.dir == "" {
				ep.dir = "."
			}
		}
	}
	if loc.User != "" {
		ep.user = loc.User
	}
	if loc.Password != "" {
		ep.pass = loc.Password
	}
	if ep.scheme == "sftp" && ep.user == "" {
		return endpoint{}, fmt.Errorf("url %s: sftp needs a user (sftp://user@host/dir or user:)", redactURL(loc.URL))
	}
	if ep.scheme == "sftp" && ep.pass == "" && loc.PrivateKeyFile == "" {
		return endpoint{}, fmt.Errorf("url %s: sftp needs a password or a private_key_file", redactURL(loc.URL))
	}

	pattern := loc.Pattern
	if pattern == "" {
		dir, last := splitLast(ep.dir, ep.scheme == "local")
		if !strings.ContainsAny(last, "*?[{") {
			return endpoint{}, fmt.Errorf("url %s: no pattern: give pattern: (e.g. attlog_*.dat) or end the url with one", redactURL(loc.URL))
		}
		ep.dir, pattern = dir, last
	}
	match, err := compilePattern(pattern)
	if err != nil {
		return endpoint{}, err
	}
	ep.match = match
	return ep, nil
}

// fileURLPath turns file:///C:/x, file:///var/x and file://server/share/x
// into OS paths.
func fileURLPath(u *url.URL) string {
	p := u.Path
	if u.Host != "" && u.Host != "localhost" {
		return `\\` + u.Host + strings.ReplaceAll(p, "/", `\`)
	}
	if len(p) >= 3 && p[0] == '/' && p[2] == ':' { // /C:/exports
		return p[1:]
	}
	return p
}

// splitLast splits the last path element off; local paths may use either slash.
func splitLast(p string, local bool) (dir, last string) {
	i := strings.LastIndex(p, "/")
	if local {
		i = max(i, strings.LastIndex(p, `\`))
	}
	if i < 0 {
		return ".", p
	}
	if i == 0 {
		return p[:1], p[1:]
	}
	return p[:i], p[i+1:]
}

var placeholderRE = regexp.MustCompile(`\{[^}]*\}`)

// compilePattern returns a matcher for a glob with optional date placeholders.
func compilePattern(pattern string) (func(string, time.Time) bool, error) {
	if strings.ContainsAny(pattern, `/\`) {
		return nil, fmt.Errorf("pattern %q: must be a file name, not a path", pattern)
	}
	var bad string
	placeholderRE.ReplaceAllStringFunc(pattern, func(ph string) string {
		if _, ok := dateLayouts[ph]; !ok && bad == "" {
			bad = ph
		}
		return ph
	})
	if bad != "" {
		return nil, fmt.Errorf("pattern %q: unknown placeholder %s (want {yyyy} {MM} {dd} {yyyyMMdd} {yyMMdd})", pattern, bad)
	}
	if _, err := path.Match(expandDate(pattern, time.Now()), ""); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	dated := placeholderRE.MatchString(pattern)
	return func(name string, now time.Time) bool {
		if !dated {
			ok, _ := path.Match(pattern, name)
			return ok
		}
		for _, day := range []time.Time{now, now.AddDate(0, 0, -1)} {
			if ok, _ := path.Match(expandDate(pattern, day), name); ok {
				return true
			}
		}
		return false
	}, nil
}

var dateLayouts = map[string]string{
	"{yyyy}": "2006", "{MM}": "01", "{dd}": "02", "{yyyyMMdd}": "20060102", "{yyMMdd}": "060102",
}

func expandDate(pattern string, day time.Time) string {
	return placeholderRE.ReplaceAllStringFunc(pattern, func(ph string) string {
		return day.Format(dateLayouts[ph])
	})
}

// server names the host for errors that also name a path: scheme://user@host:port.
func (e endpoint) server() string {
	if e.scheme == "local" {
		return "local"
	}
	u := url.URL{Scheme: e.scheme, Host: e.host}
	if e.user != "" {
		u.User = url.User(e.user)
	}
	return u.String()
}

// redactURL hides a password written into a URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.Index(raw, "@"); i >= 0 && schemeRE.MatchString(raw) {
			return schemeRE.FindString(raw) + "xxxxx" + raw[i:]
		}
		return raw
	}
	return u.Redacted()
}

// redactErr keeps url.Parse from echoing a password back.
func redactErr(err error, raw string) error {
	return errors.New(strings.ReplaceAll(err.Error(), raw, redactURL(raw)))
}
