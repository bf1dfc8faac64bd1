package config

import "strings"

// resolvePaths makes every relative file path and sqlite:// URL of the
// file relative to the file's own folder, once, after validation (so its
// messages quote the values as written): the engine and the commands use
// the values as they find them.
func (c *Config) resolvePaths() {
	c.DataDir = c.Resolve(c.DataDir)
	c.Report.Dir = c.Resolve(c.Report.Dir)
	c.HR.URL = c.resolveURL(c.HR.URL)
	c.HR.PasswordFile = c.Resolve(c.HR.PasswordFile)
	c.HR.Employees.File = c.Resolve(c.HR.Employees.File)
	if h := c.HR.HTTP; h != nil {
		h.CAFile = c.Resolve(h.CAFile)
	}
	for _, s := range c.Sources {
		s.Path = c.Resolve(s.Path)
		s.URL = c.resolveURL(s.URL)
		s.PasswordFile = c.Resolve(s.PasswordFile)
		s.Inbox = c.Resolve(s.Inbox)
		if p := s.Pull; p != nil {
			if p.Scheme() == "local" { // a remote folder is the server's
				p.URL = c.Resolve(p.URL)
				p.ArchiveDir = c.Resolve(p.ArchiveDir)
			}
			p.PasswordFile = c.Resolve(p.PasswordFile)
			p.PrivateKeyFile = c.Resolve(p.PrivateKeyFile)
			p.PassphraseFile = c.Resolve(p.PassphraseFile)
			p.KnownHosts = c.Resolve(p.KnownHosts)
			p.CACertFile = c.Resolve(p.CACertFile)
		}
	}
	c.resolveServePaths()
	c.resolveConsolePaths()
	if p := c.PushUsers; p != nil {
		p.Source.Path = c.Resolve(p.Source.Path)
		p.Source.URL = c.resolveURL(p.Source.URL)
		p.Source.PasswordFile = c.Resolve(p.Source.PasswordFile)
		p.Target.CAFile = c.Resolve(p.Target.CAFile)
	}
}

// resolveURL makes a sqlite:// URL's relative path relative to the
// config's folder; other URLs, sqlite://:memory: and absolute paths
// (sqlite:///var/hr.db, sqlite:///C:/hr.db) are left as they are.
func (c *Config) resolveURL(u string) string {
	rest, ok := strings.CutPrefix(u, "sqlite://")
	if !ok {
		return u
	}
	path, query, hasQuery := strings.Cut(rest, "?")
	if path == "" || path == ":memory:" || isSlashDrive(path) {
		return u
	}
	u = "sqlite://" + c.Resolve(path)
	if hasQuery {
		u += "?" + query
	}
	return u
}

// isSlashDrive reports a /C:/ path, the URL form of a Windows drive path.
func isSlashDrive(p string) bool {
	return len(p) >= 4 && p[0] == '/' && p[2] == ':' && (p[3] == '/' || p[3] == '\\')
}
