package fetch

import (
	"strings"
	"testing"
	"time"
)

func TestParseLocation(t *testing.T) {
	tests := []struct {
		name    string
		loc     Location
		scheme  string
		host    string
		user    string
		dir     string
		wantErr string
	}{
		{name: "local path", loc: Location{URL: "/var/exports", Pattern: "*.dat"}, scheme: "local", dir: "/var/exports"},
		{name: "unc path", loc: Location{URL: `\\files\share\att`, Pattern: "*.dat"}, scheme: "local", dir: `\\files\share\att`},
		{name: "drive path with pattern", loc: Location{URL: `C:\exports\attlog_*.dat`}, scheme: "local", dir: `C:\exports`},
		{name: "file url", loc: Location{URL: "file:///var/exports/attlog_*.dat"}, scheme: "local", dir: "/var/exports"},
		{name: "file url drive", loc: Location{URL: "file:///C:/exports", Pattern: "*"}, scheme: "local", dir: "C:/exports"},
		{name: "file url unc", loc: Location{URL: "file://files/share/att", Pattern: "*"}, scheme: "local", dir: `\\files\share\att`},
		{name: "sftp", loc: Location{URL: "sftp://att@files.example:2222/exports", Pattern: "*.dat", Password: "x"}, scheme: "sftp", host: "files.example:2222", user: "att", dir: "/exports"},
		{name: "sftp default port, pattern in url", loc: Location{URL: "sftp://att@files.example/exports/attlog_*.dat", PrivateKeyFile: "k"}, scheme: "sftp", host: "files.example:22", user: "att", dir: "/exports"},
		{name: "sftp user from config", loc: Location{URL: "sftp://files.example/x/*.dat", User: "bob", Password: "p"}, scheme: "sftp", user: "bob", host: "files.example:22", dir: "/x"},
		{name: "ftp", loc: Location{URL: "ftp://files.example/out/{yyyyMMdd}.txt"}, scheme: "ftp", host: "files.example:21", dir: "/out"},
		{name: "ftps", loc: Location{URL: "ftps://u@[::1]:990/out", Pattern: "*"}, scheme: "ftps", host: "[::1]:990", user: "u", dir: "/out"},
		{name: "empty url", loc: Location{}, wantErr: "url is empty"},
		{name: "unknown scheme", loc: Location{URL: "http://x/y", Pattern: "*"}, wantErr: `unknown scheme "http"`},
		{name: "sftp without user", loc: Location{URL: "sftp://host/x", Pattern: "*", Password: "p"}, wantErr: "needs a user"},
		{name: "sftp without credentials", loc: Location{URL: "sftp://u@host/x", Pattern: "*"}, wantErr: "needs a password or a private_key_file"},
		{name: "no pattern", loc: Location{URL: "/var/exports"}, wantErr: "no pattern"},
		{name: "bad placeholder", loc: Location{URL: "/x", Pattern: "a_{yyyyMM}.txt"}, wantErr: "unknown placeholder {yyyyMM}"},
		{name: "bad glob", loc: Location{URL: "/x", Pattern: "a[.txt"}, wantErr: "syntax error in pattern"},
		{name: "move without archive", loc: Location{URL: "/x", Pattern: "*", AfterPull: "move"}, wantErr: "needs archive_dir"},
		{name: "bad after_pull", loc: Location{URL: "/x", Pattern: "*", AfterPull: "shred"}, wantErr: `after_pull "shred"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep, err := parseLocation(tt.loc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.scheme != tt.scheme || ep.host != tt.host || ep.user != tt.user || ep.dir != tt.dir {
				t.Errorf("got scheme=%q host=%q user=%q dir=%q", ep.scheme, ep.host, ep.user, ep.dir)
			}
		})
	}
}

func TestPasswordNeverInErrors(t *testing.T) {
	for _, raw := range []string{"sftp://att:hunter2@files.example/x", "ftp://att:hunter2@host:bad/x", "gopher://att:hunter2@host/x"} {
		_, err := parseLocation(Location{URL: raw})
		if err == nil {
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: password in error: %v", raw, err)
		}
	}
	ep, err := parseLocation(Location{URL: "sftp://att:hunter2@files.example/x/*.dat"})
	if err != nil {
		t.Fatal(err)
	}
	if ep.pass != "hunter2" || strings.Contains(ep.display(), "hunter2") {
		t.Errorf("pass=%q display=%q", ep.pass, ep.display())
	}
}

func TestPatternMatch(t *testing.T) {
	now := time.Date(2025, 12, 1, 8, 30, 0, 0, time.UTC) // yesterday: 2025-11-30
	tests := []struct {
		pattern string
		name    string
		want    bool
	}{
		{"attlog_*.dat", "attlog_1.dat", true},
		{"attlog_*.dat", "attlog_1.txt", false},
		{"attlog_{yyyyMMdd}.txt", "attlog_20251201.txt", true},
		{"attlog_{yyyyMMdd}.txt", "attlog_20251130.txt", true},
		{"attlog_{yyyyMMdd}.txt", "attlog_20251129.txt", false},
		{"att_{yyMMdd}_*.csv", "att_251130_gate2.csv", true},
		{"{yyyy}-{MM}-{dd}.txt", "2025-12-01.txt", true},
		{"{yyyy}-{MM}-{dd}.txt", "2025-11-30.txt", true},
		{"{yyyy}-{MM}-{dd}.txt", "2025-12-02.txt", false},
	}
	for _, tt := range tests {
		match, err := compilePattern(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := match(tt.name, now); got != tt.want {
			t.Errorf("%s ~ %s = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
