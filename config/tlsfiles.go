package config

// TLSFiles are a listener's certificate and key (PEM files): HTTPS when
// both are given. The serve: and console: sections embed it, so both
// spell it alike (cert_file, key_file in the section itself) and are
// checked and resolved by the same code.
type TLSFiles struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// TLS reports whether the listener serves HTTPS.
func (t TLSFiles) TLS() bool { return t.CertFile != "" }

func (c *Config) checkTLSFiles(section string, t TLSFiles) error {
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		return c.errAt(section+".key_file", "give both cert_file and key_file for TLS, or neither")
	case t.CertFile == "" && t.KeyFile != "":
		return c.errAt(section+".cert_file", "give both cert_file and key_file for TLS, or neither")
	}
	return nil
}

func (c *Config) resolveTLSFiles(t *TLSFiles) {
	t.CertFile, t.KeyFile = c.Resolve(t.CertFile), c.Resolve(t.KeyFile)
}

// Deprecations are the notes `config check` prints for settings that are
// still read but written another way now.
func (c *Config) Deprecations() []string { return c.deprecations }
