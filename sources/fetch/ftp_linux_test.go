//go:build linux

package fetch

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func (s *ftpServer) location(scheme string) Location {
	return Location{URL: fmt.Sprintf("%s://%s@%s/", scheme, s.user, s.addr), Password: s.pass,
		CACertFile: s.caFile, Retries: -1}
}

func TestFTPBackend(t *testing.T) {
	s := startFTP(t, false)
	runBackendSuite(t, backendEnv{
		loc: s.location("ftp"), data: s.data,
		fixOwner: func(t *testing.T) { chownTree(t, s.su, s.data) },
		urlFor:   func(sub string) string { return fmt.Sprintf("ftp://%s@%s/%s", s.user, s.addr, sub) },
	})
}

func TestFTPSBackend(t *testing.T) {
	s := startFTP(t, true)
	runBackendSuite(t, backendEnv{
		loc: s.location("ftps"), data: s.data,
		fixOwner: func(t *testing.T) { chownTree(t, s.su, s.data) },
		urlFor:   func(sub string) string { return fmt.Sprintf("ftps://%s@%s/%s", s.user, s.addr, sub) },
	})
}

func TestFTPErrors(t *testing.T) {
	s := startFTP(t, true)
	writeFiles(t, s.data, map[string]string{"att_1.dat": "x\n"})
	chownTree(t, s.su, s.data)
	tests := []struct {
		name    string
		scheme  string
		change  func(*Location)
		kind    error
		wantErr string
	}{
		{name: "wrong password", scheme: "ftps", change: func(l *Location) { l.Password, l.Retries = "not-the-password", 3 }, kind: ErrAuth, wantErr: `user "att" was refused`},
		{name: "untrusted certificate", scheme: "ftps", change: func(l *Location) { l.CACertFile = "" }, wantErr: "certificate is not trusted"},
		{name: "insecure skip verify", scheme: "ftps", change: func(l *Location) { l.CACertFile, l.InsecureSkipTLSVerify = "", true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := s.location(tt.scheme)
			loc.Pattern, loc.StableFor = "*.dat", -1
			tt.change(&loc)
			opts, logs := testOptions()
			results, err := Pull(context.Background(), "gate", loc, t.TempDir(), newLedger(), opts)
			if tt.wantErr == "" {
				if err != nil || len(results) != 1 || results[0].Outcome != Pulled {
					t.Fatalf("results %+v, err %v", results, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), s.addr) {
				t.Fatalf("err = %v, want %q naming %s", err, tt.wantErr, s.addr)
			}
			if tt.kind != nil && !errors.Is(err, tt.kind) {
				t.Errorf("err = %v, want kind %v", err, tt.kind)
			}
			if strings.Contains(err.Error()+logs.String(), "not-the-password") {
				t.Errorf("password leaked")
			}
			t.Log(err)
		})
	}
}

func TestPlainFTPWarns(t *testing.T) {
	s := startFTP(t, false)
	loc := s.location("ftp")
	loc.Pattern = "*.dat"
	opts, logs := testOptions()
	if _, err := Pull(context.Background(), "gate", loc, t.TempDir(), newLedger(), opts); err != nil {
		t.Fatal(err)
	}
	if !grepLog(logs.String(), "WARN", "clear text") {
		t.Errorf("no clear-text warning in the log:\n%s", logs)
	}
}
