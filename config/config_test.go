package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const good = `
timezone: Asia/Ho_Chi_Minh
hr:
  url: sqlite://hr.db
  password: ${HRSYNC_TEST_PW}
sources:
  gate:
    path: exports/*.csv
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
`

func TestLoadResolvesPathsAndSecrets(t *testing.T) {
	t.Setenv("HRSYNC_TEST_PW", "s3cret")
	dir := t.TempDir()
	path := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(path, []byte(good), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Resolve(c.Sources["gate"].Path); got != filepath.Join(dir, "exports/*.csv") {
		t.Errorf("source path resolved to %s", got)
	}
	if string(c.HR.Password) != "s3cret" || c.HR.Password.String() != "******" {
		t.Errorf("password not expanded or not hidden: %q", c.HR.Password.String())
	}
	if c.Sources["gate"].Timezone != "Asia/Ho_Chi_Minh" || c.Sources["gate"].Location().String() != "Asia/Ho_Chi_Minh" {
		t.Errorf("source zone = %s", c.Sources["gate"].Timezone)
	}
}

func TestSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "pw.txt"), []byte("from-file\n"), 0o600)
	cfg := strings.Replace(good, "password: ${HRSYNC_TEST_PW}", "password_file: pw.txt", 1)
	c, err := Parse(filepath.Join(dir, "hrsync.yaml"), []byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.HR.Password) != "from-file" {
		t.Fatalf("password = %q", string(c.HR.Password))
	}
}

func TestErrorsNameKeyAndLine(t *testing.T) {
	t.Setenv("HRSYNC_TEST_PW", "x")
	cases := []struct {
		name, old, new, want string
	}{
		{"unknown key", "timezone: Asia/Ho_Chi_Minh", "timezone: Asia/Ho_Chi_Minh\ncolour: blue", `line 3: unknown key "colour"`},
		{"missing url", "url: sqlite://hr.db", "user: me", "hr.url: is required"},
		{"bad zone", "timezone: Asia/Ho_Chi_Minh", "timezone: Mars/Base", `:2: timezone: unknown time zone "Mars/Base"`},
		{"missing env", "${HRSYNC_TEST_PW}", "${HRSYNC_NOPE}", "hr.password: environment variable HRSYNC_NOPE is not set"},
		{"bad format", "    path: exports/*.csv", "    path: exports/*.csv\n    format: { type: pdf }", `sources.gate.format.type: "pdf"`},
		{"bad directory format", "  password: ${HRSYNC_TEST_PW}", "  password: ${HRSYNC_TEST_PW}\n  employees: { file: staff.xlsx, format: { type: ods } }", `hr.employees.format.type: "ods"`},
		{"no sources", "sources:", "nosources:", `unknown key "nosources"`},
		{"bad duration", "timezone: Asia/Ho_Chi_Minh", "timezone: UTC\nlock_wait: soon", `line 3: "soon" is not a duration`},
		{"hr zone for an API", "  url: sqlite://hr.db", "  url: https://hr.example.com/api\n  timezone: UTC\n  employees: { file: e.csv }", `:5: hr.timezone: is for an HR database`},
		{"bad hr zone", "  url: sqlite://hr.db", "  url: sqlite://hr.db\n  timezone: Asia/Saigonn", `:5: hr.timezone: unknown time zone "Asia/Saigonn"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/cfg/hrsync.yaml", []byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "x\n") {
				t.Fatal("secret leaked")
			}
		})
	}
}

// hr.timezone is where the HR database keeps naive date-times: by default
// the top-level timezone, for sqlite:// as for a server database, and UTC
// (the behaviour before it existed) when said explicitly.
func TestHRTimezone(t *testing.T) {
	t.Setenv("HRSYNC_TEST_PW", "x")
	for _, tc := range []struct{ name, old, new, want string }{
		{"server default", "url: sqlite://hr.db", "url: mysql://127.0.0.1/hr", "Asia/Ho_Chi_Minh"},
		{"sqlite default", "url: sqlite://hr.db", "url: sqlite://hr.db", "Asia/Ho_Chi_Minh"},
		{"explicit UTC", "url: sqlite://hr.db", "url: postgres://127.0.0.1/hr\n  timezone: UTC", "UTC"},
		{"explicit for sqlite", "url: sqlite://hr.db", "url: sqlite://hr.db\n  timezone: Asia/Bangkok", "Asia/Bangkok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("/cfg/hrsync.yaml", []byte(strings.Replace(good, tc.old, tc.new, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if c.HR.Timezone != tc.want || c.HR.Location().String() != tc.want {
				t.Fatalf("hr.timezone = %q (%s), want %s", c.HR.Timezone, c.HR.Location(), tc.want)
			}
		})
	}
}
