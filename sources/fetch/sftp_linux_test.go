//go:build linux

package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func (s *sshdServer) location() Location {
	return Location{
		URL:            fmt.Sprintf("sftp://%s@%s%s", s.user, s.addr, s.data),
		PrivateKeyFile: s.userKeyFile,
		KnownHostsFile: s.knownHostsFile,
		Retries:        -1,
	}
}

func TestSFTPBackend(t *testing.T) {
	s := startSSHD(t)
	runBackendSuite(t, backendEnv{
		loc: s.location(), data: s.data,
		fixOwner: func(t *testing.T) { chownTree(t, s.su, s.data) },
		urlFor: func(sub string) string {
			return fmt.Sprintf("sftp://%s@%s%s/%s", s.user, s.addr, s.data, sub)
		},
	})
}

func TestSFTPHostKeys(t *testing.T) {
	s := startSSHD(t)
	writeFiles(t, s.data, map[string]string{"att_1.dat": "x\n"})
	chownTree(t, s.su, s.data)
	otherKnownHosts := filepath.Join(t.TempDir(), "known_hosts")
	// A known_hosts entry for this host with another key: a mismatch.
	other := "[127.0.0.1]:" + fmt.Sprint(s.port) + " ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ\n"
	if err := os.WriteFile(otherKnownHosts, []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	emptyKnownHosts := filepath.Join(t.TempDir(), "empty_known_hosts")
	if err := os.WriteFile(emptyKnownHosts, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		change   func(*Location)
		wantErr  string // "" means the pull succeeds
		mismatch bool
	}{
		{name: "known_hosts", change: func(*Location) {}},
		{name: "pinned fingerprint", change: func(l *Location) { l.KnownHostsFile, l.HostKeyFingerprint = "", s.fingerprint }},
		{name: "unknown host", change: func(l *Location) { l.KnownHostsFile = emptyKnownHosts }, wantErr: "unknown host key"},
		{name: "nothing configured", change: func(l *Location) { l.KnownHostsFile = "" }, wantErr: "unknown host key"},
		{name: "known_hosts mismatch", change: func(l *Location) { l.KnownHostsFile = otherKnownHosts }, wantErr: "HOST KEY MISMATCH", mismatch: true},
		{name: "pinned mismatch", change: func(l *Location) {
			l.KnownHostsFile, l.HostKeyFingerprint = "", "SHA256:l/SjGZl6r5mvS4/2Xf7Z9bzGn+dsBX3G4Rjq/9hW6Ak"
		}, wantErr: "HOST KEY MISMATCH", mismatch: true},
		{name: "insecure skip", change: func(l *Location) { l.KnownHostsFile, l.InsecureSkipHostKeyCheck = "", true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := s.location()
			loc.Pattern, loc.StableFor, loc.Retries = "*.dat", -1, 3
			tt.change(&loc)
			results, err := Pull(context.Background(), "gate", loc, t.TempDir(), newLedger(), Options{})
			if tt.wantErr == "" {
				if err != nil || len(results) != 1 || results[0].Outcome != Pulled {
					t.Fatalf("results %+v, err %v", results, err)
				}
				return
			}
			var hk *HostKeyError
			if !errors.As(err, &hk) || !errors.Is(err, ErrHostKey) || hk.Mismatch != tt.mismatch {
				t.Fatalf("err = %v, want a HostKeyError (mismatch=%v)", err, tt.mismatch)
			}
			msg := err.Error()
			for _, want := range []string{tt.wantErr, s.fingerprint, s.addr, `host_key_fingerprint: "` + s.fingerprint + `"`} {
				if !strings.Contains(msg, want) {
					t.Errorf("error lacks %q: %s", want, msg)
				}
			}
			t.Log(msg)
		})
	}
}

func TestSFTPPasswordAuth(t *testing.T) {
	srv := startInproc(t, nil)
	data := t.TempDir()
	writeFiles(t, data, map[string]string{"att_1.dat": "one\n"})
	loc := Location{URL: "sftp://att@" + srv.addr + data, Pattern: "*.dat", Password: srv.pass,
		HostKeyFingerprint: srv.fingerprint, StableFor: -1}
	opts, logs := testOptions()
	results, err := Pull(context.Background(), "gate", loc, t.TempDir(), newLedger(), opts)
	if err != nil || len(results) != 1 || results[0].Outcome != Pulled {
		t.Fatalf("results %+v, err %v", results, err)
	}

	t.Run("wrong password is final", func(t *testing.T) {
		before := srv.connections.Load()
		bad := loc
		bad.Password, bad.Retries = "not-the-password", 3
		_, err := Pull(context.Background(), "gate", bad, t.TempDir(), newLedger(), opts)
		if !errors.Is(err, ErrAuth) {
			t.Fatalf("err = %v, want ErrAuth", err)
		}
		if strings.Contains(err.Error(), "not-the-password") || strings.Contains(logs.String(), "not-the-password") {
			t.Errorf("password leaked: %v\n%s", err, logs)
		}
		if !strings.Contains(err.Error(), srv.addr) || !strings.Contains(err.Error(), `"att"`) {
			t.Errorf("error should name host and user: %v", err)
		}
		if n := srv.connections.Load() - before; n != 1 {
			t.Errorf("%d connection attempts for a wrong password, want 1 (no retries)", n)
		}
		t.Log(err)
	})
	if strings.Contains(logs.String(), srv.pass) {
		t.Errorf("password in logs:\n%s", logs)
	}
}

func TestSFTPConnectionCut(t *testing.T) {
	data := t.TempDir()
	content := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	writeFiles(t, data, map[string]string{"att_big.dat": content})

	t.Run("no partial, no ledger entry; next run pulls it whole", func(t *testing.T) {
		srv := startInproc(t, func(s *inprocServer) { s.faultAfter = 200 << 10; s.faultConns = map[int32]bool{1: true} })
		loc := Location{URL: "sftp://att@" + srv.addr + data, Pattern: "*.dat", Password: srv.pass,
			HostKeyFingerprint: srv.fingerprint, StableFor: -1, Retries: -1}
		inbox, ledger := t.TempDir(), newLedger()
		results, err := Pull(context.Background(), "gate", loc, inbox, ledger, Options{})
		if err != nil || len(results) != 1 || results[0].Outcome != Failed {
			t.Fatalf("results %+v, err %v", results, err)
		}
		if !strings.Contains(results[0].Reason, "att_big.dat") || !strings.Contains(results[0].Reason, srv.addr) {
			t.Errorf("reason should name file and host: %s", results[0].Reason)
		}
		t.Log(results[0].Reason)
		if files := inboxFiles(t, inbox); len(files) != 0 || ledger.len() != 0 {
			t.Fatalf("inbox %v, ledger %d entries after a cut", files, ledger.len())
		}
		results, err = Pull(context.Background(), "gate", loc, inbox, ledger, Options{})
		if err != nil || len(results) != 1 || results[0].Outcome != Pulled || results[0].SHA256 != sha(content) {
			t.Fatalf("second run: %+v, %v", results, err)
		}
	})

	t.Run("retried within the run", func(t *testing.T) {
		srv := startInproc(t, func(s *inprocServer) { s.faultAfter = 300 << 10; s.faultConns = map[int32]bool{1: true} })
		loc := Location{URL: "sftp://att@" + srv.addr + data, Pattern: "*.dat", Password: srv.pass,
			HostKeyFingerprint: srv.fingerprint, StableFor: -1, Retries: 2}
		inbox := t.TempDir()
		results, err := Pull(context.Background(), "gate", loc, inbox, newLedger(), Options{})
		if err != nil || len(results) != 1 || results[0].Outcome != Pulled || results[0].SHA256 != sha(content) {
			t.Fatalf("results %+v, err %v", results, err)
		}
		assertNoPartials(t, inbox)
	})

	t.Run("stalled transfer hits the idle timeout", func(t *testing.T) {
		srv := startInproc(t, func(s *inprocServer) { s.faultAfter = 200 << 10; s.stall = true })
		loc := Location{URL: "sftp://att@" + srv.addr + data, Pattern: "*.dat", Password: srv.pass,
			HostKeyFingerprint: srv.fingerprint, StableFor: -1, Retries: -1, IdleTimeout: 300 * time.Millisecond}
		inbox := t.TempDir()
		results, err := Pull(context.Background(), "gate", loc, inbox, newLedger(), Options{})
		if err != nil || len(results) != 1 || results[0].Outcome != Failed || !strings.Contains(results[0].Reason, "timed out") {
			t.Fatalf("results %+v, err %v", results, err)
		}
		t.Log(results[0].Reason)
		if files := inboxFiles(t, inbox); len(files) != 0 {
			t.Fatalf("inbox after a stall: %v", files)
		}
	})
}

func TestSFTPUnreachable(t *testing.T) {
	port := freePort(t) // nothing listens there now
	loc := Location{URL: fmt.Sprintf("sftp://att@127.0.0.1:%d/x", port), Pattern: "*", Password: "pw-secret",
		InsecureSkipHostKeyCheck: true, Retries: 1, ConnectTimeout: time.Second}
	_, err := Pull(context.Background(), "gate", loc, t.TempDir(), newLedger(), Options{})
	if err == nil || !strings.Contains(err.Error(), fmt.Sprint(port)) || strings.Contains(err.Error(), "pw-secret") {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
}
