package config

import (
	"strings"
	"testing"
	"time"
)

func TestConsoleSection(t *testing.T) {
	base := "hr:\n  url: sqlite://hr.db\nsources:\n  gate:\n    path: p.csv\n    mapping: { employee_key: { column: 1 }, time: { column: 2, layout: \"2006-01-02 15:04:05\" } }\n"
	c, err := Parse("/etc/hrsync/hrsync.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.ConsoleSettings(); s.Listen != "127.0.0.1:8478" || s.TLS() || time.Duration(s.SessionTTL) != 8*time.Hour {
		t.Errorf("defaults: %+v; want 127.0.0.1:8478, no TLS, 8h", s)
	}
	c, err = Parse("/etc/hrsync/hrsync.yaml", []byte(base+"console: { listen: \"0.0.0.0:9443\", cert_file: c.pem, key_file: k.pem }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.ConsoleSettings(); !s.TLS() || s.CertFile != "/etc/hrsync/c.pem" || s.KeyFile != "/etc/hrsync/k.pem" {
		t.Errorf("TLS files not resolved against the config's folder: %+v", s)
	}
	for yaml, want := range map[string]string{
		"console: { listen: 8478 }\n":                                            "console.listen",
		"console: { listen: \"myhost:8478\" }\n":                                 "console.listen",
		"console: { listen: \"127.0.0.1:http\" }\n":                              "console.listen",
		"console: { cert_file: c.pem }\n":                                        "both cert_file and key_file",
		"console: { lisen: \"127.0.0.1:1\" }\n":                                  "lisen",
		"resync: { profiles: { a: { departments: [S], os_users: [\" \"] } } }\n": "os_users",
	} {
		_, err := Parse("/etc/hrsync/hrsync.yaml", []byte(base+yaml))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error naming %q", strings.TrimSpace(yaml), err, want)
		}
	}
}
