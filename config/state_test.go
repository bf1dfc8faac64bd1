package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateSection(t *testing.T) {
	base := "hr:\n  url: sqlite://hr.db\nsources:\n  gate:\n    path: p.csv\n    mapping: { employee_key: { column: 1 }, time: { column: 2, layout: \"2006-01-02 15:04:05\" } }\n"
	c, err := Parse("/etc/hrsync/hrsync.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.StateSettings(); s.URL != "" || c.StatePath() != filepath.Join("/etc/hrsync", "hrsync-data", "state.db") {
		t.Errorf("default: %+v at %s; want the embedded file in the data folder", s, c.StatePath())
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pw"), []byte("s3cret\n"), 0o600)
	t.Setenv("HRSYNC_TEST_STATE_HOST", "db.internal")
	c, err = Parse(filepath.Join(dir, "hrsync.yaml"), []byte(base+"state:\n  url: postgres://hrsync@${HRSYNC_TEST_STATE_HOST}/hr\n  password_file: pw\n  schema: acme\n  table_prefix: t_\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.StateSettings(); s.URL != "postgres://hrsync@db.internal/hr" || string(s.Password) != "s3cret" || s.Schema != "acme" || s.TablePrefix != "t_" {
		t.Errorf("state: %+v", s)
	}
	// The state's secrets resolve for reading too: the history is in it.
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(base+"state:\n  url: postgres://hrsync@${HRSYNC_TEST_STATE_HOST}/hr\n  password_file: pw\n"), 0o600)
	if c, err := LoadForReading(filepath.Join(dir, "hrsync.yaml")); err != nil || string(c.StateSettings().Password) != "s3cret" {
		t.Errorf("LoadForReading: %v", err)
	}
	for yaml, want := range map[string]string{
		"state: { url: \"oracle://u:hunter2@h/db\" }\n":               "state.url",
		"state: { url: \"sqlite://x.db\" }\n":                         "state.url",
		"state: { url: \"mysql://h/db\", schema: acme }\n":            "state.schema",
		"state: { url: \"postgres://h/db\", schema: \"a.b\" }\n":      "state.schema",
		"state: { url: \"postgres://h/db\", table_prefix: \"x-\" }\n": "state.table_prefix",
		"state: { schema: acme }\n":                                   "state.url",
		"state: { url: \"postgres://h/db\", urll: x }\n":              "urll",
	} {
		_, err := Parse("/etc/hrsync/hrsync.yaml", []byte(base+yaml))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want an error naming %q", strings.TrimSpace(yaml), err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the password is in the message: %v", strings.TrimSpace(yaml), err)
		}
	}
}
