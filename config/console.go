package config

import (
	"time"
)

// DefaultConsoleListen is where `hrsync console` listens unless told
// otherwise: this machine only.
const DefaultConsoleListen = "127.0.0.1:8478"

// Console is the console: section, the browser UI for support.
//
//	console:
//	  listen: 127.0.0.1:8478     # default; 0.0.0.0:8478 to serve the network (give TLS files then)
//	  cert_file: console.crt     # TLS when both are given
//	  key_file: console.key
//	  session_ttl: 8h            # idle sessions end after this (default 8h)
type Console struct {
	Listen     string `yaml:"listen"`
	TLSFiles   `yaml:",inline"`
	SessionTTL Duration `yaml:"session_ttl"`
}

// ConsoleSettings returns the console section with its defaults, whether
// or not the file has one.
func (c *Config) ConsoleSettings() Console {
	var s Console
	if c.Console != nil {
		s = *c.Console
	}
	if s.Listen == "" {
		s.Listen = DefaultConsoleListen
	}
	if s.SessionTTL == 0 {
		s.SessionTTL = Duration(8 * time.Hour)
	}
	return s
}

func (c *Config) validateConsole() error {
	s := c.Console
	if s == nil {
		return nil
	}
	if err := c.checkListen("console.listen", s.Listen, DefaultConsoleListen); err != nil {
		return err
	}
	if err := c.checkTLSFiles("console", s.TLSFiles); err != nil {
		return err
	}
	if s.SessionTTL < 0 {
		return c.errAt("console.session_ttl", "must be positive")
	}
	return nil
}

func (c *Config) resolveConsolePaths() {
	if s := c.Console; s != nil {
		c.resolveTLSFiles(&s.TLSFiles)
	}
}
