package config

import (
	"path/filepath"
	"strings"
	"testing"
)

const pullConfig = `
hr:
  url: sqlite://hr.db
sources:
  gate:
    pull:
      url: sftp://att@127.0.0.1:2222/exports
      pattern: attlog_*.txt
      password: pw
      known_hosts: known_hosts
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
`

func TestPullConfig(t *testing.T) {
	c, err := Parse("/cfg/hrsync.yaml", []byte(pullConfig))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sources["gate"]
	if !s.ReadsInbox() || s.Pull.Scheme() != "sftp" {
		t.Fatalf("ReadsInbox %v scheme %s", s.ReadsInbox(), s.Pull.Scheme())
	}
	if got, want := c.InboxDir(s), filepath.Join("/cfg", "hrsync-data", "inbox", "gate"); got != want {
		t.Errorf("inbox %s, want %s", got, want)
	}
	c, err = Parse("/cfg/hrsync.yaml", []byte(strings.Replace(pullConfig, "    mapping:", "    inbox: in\n    mapping:", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.InboxDir(c.Sources["gate"]); got != filepath.Join("/cfg", "in") {
		t.Errorf("inbox %s", got)
	}
}

func TestPullConfigErrors(t *testing.T) {
	cases := []struct{ name, old, new, want string }{
		{"no url", "      url: sftp://att@127.0.0.1:2222/exports\n", "", ":6: sources.gate.pull.url: is required"},
		// fetch's own location checks, at config time rather than at the pull:
		{"sftp without a password or key", "      password: pw\n", "", "sources.gate.pull.url: url sftp://att@127.0.0.1:2222/exports: sftp needs a password or a private_key_file"},
		{"no pattern", "      pattern: attlog_*.txt\n", "", "sources.gate.pull.url: url sftp://att@127.0.0.1:2222/exports: no pattern"},
		{"bad scheme", "sftp://att@127.0.0.1:2222/exports", "http://x/y", `:7: sources.gate.pull.url: unknown scheme "http"`},
		{"bad after_pull", "      pattern:", "      after_pull: shred\n      pattern:", `:8: sources.gate.pull.after_pull: "shred": want keep, delete, move`},
		{"move without archive", "      pattern:", "      after_pull: move\n      pattern:", "sources.gate.pull.archive_dir: is required with after_pull: move"},
		{"no host key check", "      known_hosts: known_hosts\n", "", "sources.gate.pull.known_hosts: sftp needs known_hosts"},
		{"insecure is explicit", "      known_hosts: known_hosts\n", "      insecure_skip_host_key_check: true\n", ""},
		{"fingerprint", "      known_hosts: known_hosts\n", "      host_key_fingerprint: SHA256:abc\n", ""},
		{"bad fingerprint", "      known_hosts: known_hosts\n", "      host_key_fingerprint: abc\n", `host_key_fingerprint: want "SHA256:..."`},
		{"ftp with known_hosts", "sftp://att@127.0.0.1:2222/exports", "ftp://127.0.0.1/x", "known_hosts, host_key_fingerprint, private_key_file and insecure_skip_host_key_check are for sftp:// only"},
		{"local", "sftp://att@127.0.0.1:2222/exports", `\\\\server\\share\\att`, "are for sftp:// only"},
		{"inbox without pull", "    pull:\n      url: sftp://att@127.0.0.1:2222/exports\n      pattern: attlog_*.txt\n      password: pw\n      known_hosts: known_hosts\n", "    path: x.csv\n    inbox: in\n", "sources.gate.inbox: inbox: needs pull:"},
		{"database inbox needs a watermark", "    pull:\n      url: sftp://att@127.0.0.1:2222/exports\n      pattern: attlog_*.txt\n      password: pw\n      known_hosts: known_hosts\n",
			"    url: mysql://db/x\n    table: t\n    inbox: in\n", "sources.gate.watermark: a database source with inbox: needs a watermark"},
		{"database inbox", "    pull:\n      url: sftp://att@127.0.0.1:2222/exports\n      pattern: attlog_*.txt\n      password: pw\n      known_hosts: known_hosts\n",
			"    url: mysql://db/x\n    table: t\n    inbox: in\n    watermark: { column: t }\n", ""},
		{"pull and url", "    pull:\n", "    url: mysql://db/x\n    table: t\n    pull:\n", "sources.gate.pull: pull: is for file sources"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/cfg/hrsync.yaml", []byte(strings.Replace(pullConfig, tc.old, tc.new, 1)))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
