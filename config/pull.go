package config

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/hrsync/hrsync/sources/fetch"
)

// A source with pull: and no path: is read from its inbox, where
// `hrsync pull` puts the files it brings in:
//
//	sources:
//	  gate:
//	    pull:
//	      url: sftp://att@10.0.0.5/exports       # a folder, \\server\share\dir, sftp://, ftp:// or ftps://
//	      pattern: attlog_{yyyyMMdd}.txt         # a glob and/or date placeholders (today or yesterday)
//	      private_key_file: keys/att_ed25519     # and/or password: ${ATT_PW}
//	      known_hosts: keys/known_hosts          # or host_key_fingerprint: SHA256:...
//	      after_pull: keep                       # keep (default), delete, or move (needs archive_dir:)
//	      stable_for: 5s                         # a file whose size or time moves within this is still being written (default 2s; -1s: no second look)
//	    inbox: inbox/gate                        # default: <data_dir>/inbox/<source>

// validatePull checks a source's pull: section.
func (c *Config) validatePull(s *Source) error {
	key := "sources." + s.Name
	if s.Pull == nil {
		switch {
		case s.Inbox != "" && s.URL == "" && !s.HasDevices():
			return c.errAt(key+".inbox", "inbox: needs pull: (where the files come from) or a database source (url:)")
		case s.Inbox != "" && s.Watermark == nil:
			return c.errAt(key+".watermark", "a database source with inbox: needs a watermark, so each pull writes only the new rows")
		}
		return nil
	}
	p := s.Pull
	key += ".pull"
	if s.URL != "" {
		return c.errAt(key, "pull: is for file sources (remote export files); a database source (url:) is read directly")
	}
	if strings.TrimSpace(p.URL) == "" {
		return c.errAt(key+".url", `is required: a folder, \\server\share\dir, sftp://user@host/dir, ftp://host/dir or ftps://host/dir`)
	}
	// fetch's own parsers, so config check rejects what a pull would.
	scheme, err := fetch.ParseScheme(p.URL)
	if err != nil {
		return c.errAt(key+".url", err.Error())
	}
	after, err := fetch.ParseAfterPull(p.AfterPull)
	if err != nil {
		return c.errAt(key+".after_pull", err.Error())
	}
	switch {
	case after == fetch.AfterPullMove && p.ArchiveDir == "":
		return c.errAt(key+".archive_dir", `is required with after_pull: move (a folder on the remote side)`)
	case after != fetch.AfterPullMove && p.ArchiveDir != "":
		return c.errAt(key+".archive_dir", `is only used with after_pull: move`)
	}
	if scheme == "sftp" && p.KnownHosts == "" && p.HostKeyFingerprint == "" && !p.InsecureSkipHostKeyCheck {
		return c.errAt(key+".known_hosts", "sftp needs known_hosts: (an OpenSSH known_hosts file) or host_key_fingerprint: (SHA256:... as printed by ssh-keygen -lf); "+
			"insecure_skip_host_key_check: true accepts any server, for tests only")
	}
	if p.HostKeyFingerprint != "" && !strings.HasPrefix(p.HostKeyFingerprint, "SHA256:") {
		return c.errAt(key+".host_key_fingerprint", `want "SHA256:..." as printed by ssh-keygen -lf`)
	}
	if scheme != "sftp" && (p.KnownHosts != "" || p.HostKeyFingerprint != "" || p.PrivateKeyFile != "" || p.InsecureSkipHostKeyCheck) {
		return c.errAt(key+".url", "known_hosts, host_key_fingerprint, private_key_file and insecure_skip_host_key_check are for sftp:// only")
	}
	if scheme != "ftps" && (p.CACertFile != "" || p.InsecureSkipTLSVerify) {
		return c.errAt(key+".url", "ca_cert_file and insecure_skip_tls_verify are for ftps:// only")
	}
	if p.Retries < 0 {
		return c.errAt(key+".retries", "must be 0 or more")
	}
	if p.ConnectTimeout < 0 || p.IdleTimeout < 0 {
		return c.errAt(key, "connect_timeout and idle_timeout must not be negative")
	}
	// What only fetch's parser sees (a bad pattern, sftp without a user).
	_, err = c.PullLocation(s)
	return err
}

// PullLocation turns a source's pull: section into a fetch.Location, with
// the paths resolved when the file was parsed. fetch's own checks of the
// location are config errors.
func (c *Config) PullLocation(s *Source) (fetch.Location, error) {
	p := s.Pull
	loc := fetch.Location{
		URL: p.URL, Pattern: p.Pattern,
		User: p.User, Password: string(p.Password),
		PrivateKeyFile: p.PrivateKeyFile, Passphrase: string(p.Passphrase),
		KnownHostsFile: p.KnownHosts, HostKeyFingerprint: p.HostKeyFingerprint,
		InsecureSkipHostKeyCheck: p.InsecureSkipHostKeyCheck,
		CACertFile:               p.CACertFile, InsecureSkipTLSVerify: p.InsecureSkipTLSVerify,
		AfterPull: p.AfterPull, ArchiveDir: p.ArchiveDir,
		StableFor: time.Duration(p.StableFor), ConnectTimeout: time.Duration(p.ConnectTimeout),
		IdleTimeout: time.Duration(p.IdleTimeout), Retries: p.Retries,
	}
	if _, err := fetch.Folder(loc); err != nil {
		return loc, c.errAt("sources."+s.Name+".pull.url", err.Error())
	}
	return loc, nil
}

// Scheme says how a pull source is reached: local, file, sftp, ftp or ftps.
func (p *Pull) Scheme() string {
	s, _ := fetch.ParseScheme(p.URL) // checked by Parse already
	return s
}

// InboxDir is where `hrsync pull` puts a source's files and where `import`
// reads them: inbox: (resolved when the file was parsed), or
// <data_dir>/inbox/<source>.
func (c *Config) InboxDir(s *Source) string {
	if s.Inbox != "" {
		return s.Inbox
	}
	return filepath.Join(c.DataDir, "inbox", s.Name)
}

// ReadsInbox reports whether import reads the source's inbox rather than
// a path or a database of its own: a file source with pull: and no path:,
// or a database source with inbox: (`hrsync pull` writes its new rows there).
func (s *Source) ReadsInbox() bool {
	return (s.Pull != nil && s.Path == "" && s.URL == "") || (s.URL != "" && s.Inbox != "") || s.HasDevices()
}
