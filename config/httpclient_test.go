package config

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/httpx"
)

// The two sections that embed the client block, with the block's lines
// spliced in at line 5 of the file, four spaces deep.
func hrHTTPYAML(block string) string {
	return "hr:\n  url: https://hr.example/api\n  employees: { file: e.csv }\n  http:\n" + block +
		"sources:\n  gate:\n    path: a.csv\n    mapping:\n      employee_key: { column: 1 }\n      time: { column: 2, layout: \"2006-01-02 15:04:05\" }\n"
}

func usersTargetYAML(block string) string {
	return "hr: { url: sqlite://hr.db }\npush_users:\n  target:\n    kind: scim\n" + block +
		"    url: https://idp.example/scim/v2\n  source:\n    path: staff.csv\n    columns: { id: No, name: Name, password: Pwd, status: St, onboarding_date: Joined }\n"
}

// TestHTTPClientBlockIsShared: hr.http and push_users.target read the same
// keys, reject the same values with the same message at the same line, and
// turn into the same httpx config.
func TestHTTPClientBlockIsShared(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hrsync.yaml")
	bad := []struct {
		name, block, key, msg string
	}{
		{"auth kind", "    auth: { kind: oauth }\n", "auth.kind", `"oauth": want none, bearer, basic, signature`},
		{"bearer without token", "    auth: { kind: bearer }\n", "auth", "bearer auth needs a token"},
		{"basic without user", "    auth: { kind: basic, password: p }\n", "auth", "basic auth needs a user"},
		{"signature without secret", "    auth: { kind: signature, app_id: a }\n", "auth", "signature auth needs an app id and a secret"},
		{"negative concurrency", "    concurrency: -1\n", "concurrency", "-1: must not be negative"},
		{"negative rate", "    rate_per_second: -0.5\n", "rate_per_second", "-0.5: must not be negative (0: no limit)"},
		{"bad timeout", "    timeout: soon\n", "", `line 5: "soon" is not a duration`},
		{"missing CA", "    ca_file: nosuch.pem\n", "ca_file", readErr(filepath.Join(dir, "nosuch.pem"))},
		{"CA without a certificate", "    ca_file: hrsync.yaml\n", "ca_file", filepath.Join(dir, "hrsync.yaml") + ": no PEM certificate found"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			for prefix, yaml := range map[string]string{
				"hr.http":           hrHTTPYAML(tc.block),
				"push_users.target": usersTargetYAML(tc.block),
			} {
				if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
					t.Fatal(err)
				}
				_, err := Parse(path, []byte(yaml))
				want := "hrsync.yaml:5: " + prefix + "." + tc.key + ": " + tc.msg
				if tc.key == "" {
					want = tc.msg
				}
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s: err = %v, want %q", prefix, err, want)
				}
			}
		})
	}

	t.Setenv("HRSYNC_TEST_TOKEN", "tok")
	block := "    auth: { kind: bearer, token: '${HRSYNC_TEST_TOKEN}' }\n    ca_file: ca.pem\n    concurrency: 3\n" +
		"    rate_per_second: 2.5\n    timeout: 5s\n    max_retries: -1\n"
	hr, err := Parse(path, []byte(hrHTTPYAML(block)))
	if err != nil {
		t.Fatal(err)
	}
	users, err := Parse(path, []byte(usersTargetYAML(block)))
	if err != nil {
		t.Fatal(err)
	}
	// ca_file is resolved once, when the file is parsed, in both sections.
	if ca := filepath.Join(dir, "ca.pem"); hr.HR.HTTP.CAFile != ca || users.PushUsers.Target.CAFile != ca {
		t.Errorf("ca_file after parsing: hr.http %q, push_users.target %q; want %q", hr.HR.HTTP.CAFile, users.PushUsers.Target.CAFile, ca)
	}
	a := hr.HTTPClientConfig(&hr.HR.HTTP.HTTPClient, "", nil)
	b := users.HTTPClientConfig(&users.PushUsers.Target.HTTPClient, "", nil)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the same block gives two client configs:\nhr.http           %+v\npush_users.target %+v", a, b)
	}
	want := httpx.Config{Auth: httpx.Auth{Kind: httpx.AuthBearer, Token: "tok"}, CAFile: filepath.Join(dir, "ca.pem"),
		Concurrency: 3, RatePerSecond: 2.5, Timeout: 5 * time.Second, MaxRetries: -1}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("client config = %+v, want %+v", a, want)
	}
}

// readErr is the OS's own words for a file it cannot read.
func readErr(path string) string {
	_, err := os.ReadFile(path)
	return err.Error()
}

// TestHTTPClientDefaults: both sections default to httpx's timeout and
// retries; concurrency is each section's own.
func TestHTTPClientDefaults(t *testing.T) {
	hr, err := Parse("/cfg/hrsync.yaml", []byte(hrHTTPYAML("    format: json\n")))
	if err != nil {
		t.Fatal(err)
	}
	users, err := Parse("/cfg/hrsync.yaml", []byte(usersTargetYAML("")))
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]HTTPClient{"hr.http": hr.HR.HTTP.HTTPClient, "push_users.target": users.PushUsers.Target.HTTPClient} {
		if time.Duration(got.Timeout) != httpx.DefaultTimeout || got.MaxRetries != httpx.DefaultMaxRetries {
			t.Errorf("%s: timeout %v, max_retries %d; want httpx's %v, %d", name, time.Duration(got.Timeout), got.MaxRetries,
				httpx.DefaultTimeout, httpx.DefaultMaxRetries)
		}
	}
	if c := hr.HR.HTTP.Concurrency; c != httpx.DefaultConcurrency {
		t.Errorf("hr.http concurrency = %d, want %d", c, httpx.DefaultConcurrency)
	}
	if c := users.PushUsers.Target.Concurrency; c != DefaultUsersConcurrency {
		t.Errorf("push_users.target concurrency = %d, want %d", c, DefaultUsersConcurrency)
	}
}
