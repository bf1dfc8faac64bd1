//go:build linux

package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/sources/fetch/fetchtest"
)

// TestPullOverSFTP pulls through the command from OpenSSH's sshd, moves
// the remote files to a remote archive, and imports them from the inbox.
func TestPullOverSFTP(t *testing.T) {
	s := fetchtest.StartSSHD(t)
	exports := filepath.Join(s.Data, "exports")
	os.MkdirAll(filepath.Join(s.Data, "done"), 0o755)
	os.MkdirAll(exports, 0o755)
	pull := fmt.Sprintf(`url: sftp://%s@%s%s
      pattern: "punches_{yyyyMMdd}.csv"
      private_key_file: %s
      known_hosts: %s
      after_pull: move
      archive_dir: %s
      stable_for: 50ms`, s.User, s.Addr, exports, s.UserKeyFile, s.KnownHostsFile, filepath.Join(s.Data, "done"))
	w := newPullWorld(t, pull)
	// Date placeholders match today or yesterday in the source's zone.
	w.punches(t, exports, "punches_20200101.csv", 1, 100)
	s.Chown(t, s.Data)

	code, _, stderr := w.run(t, "pull")
	if code != 0 || !strings.Contains(stderr, "0 files") {
		t.Fatalf("pull of a file outside the date window: exit %d\n%s", code, stderr)
	}
	today := w.todayName(t)
	w.punches(t, exports, today, 1, 100)
	s.Chown(t, s.Data)
	code, _, stderr = w.run(t, "pull", "--source", "gate")
	if code != 0 || !strings.Contains(stderr, today+": pulled -> "+filepath.Join(w.inbox, today)) {
		t.Fatalf("pull: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(s.Data, "done", today)); err != nil {
		t.Fatalf("after_pull move: %v", err)
	}
	code, _, stderr = w.run(t, "import")
	if code != 3 || !strings.Contains(stderr, "archived 1 inbox file(s)") {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
}

func TestPullOverSFTPRefusesAnUnknownHostKey(t *testing.T) {
	s := fetchtest.StartSSHD(t)
	pull := fmt.Sprintf(`url: sftp://%s@%s%s
      pattern: "*.csv"
      private_key_file: %s
      host_key_fingerprint: SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
      stable_for: -1s`, s.User, s.Addr, s.Data, s.UserKeyFile)
	w := newPullWorld(t, pull)
	code, _, stderr := w.run(t, "pull")
	t.Log(stderr)
	if code != 1 || !strings.Contains(stderr, s.Fingerprint) || !strings.Contains(stderr, "failed") {
		t.Fatalf("exit %d, want 1 naming the server's fingerprint %s:\n%s", code, s.Fingerprint, stderr)
	}
}

// TestConfigCheckConnectOverSFTP: --connect lists the remote folder when
// the host key matches, and fails naming the server's key when it does not.
func TestConfigCheckConnectOverSFTP(t *testing.T) {
	s := fetchtest.StartSSHD(t)
	good := fmt.Sprintf(`url: sftp://%s@%s%s
      pattern: "*.csv"
      private_key_file: %s
      known_hosts: %s`, s.User, s.Addr, s.Data, s.UserKeyFile, s.KnownHostsFile)
	w := newPullWorld(t, good)
	code, out, stderr := w.run(t, "config", "check", "--connect")
	if code != 0 || !strings.Contains(out, "ok   source gate: sftp://") {
		t.Fatalf("matching host key: exit %d\n%s%s", code, out, stderr)
	}
	bad := strings.Replace(good, "known_hosts: "+s.KnownHostsFile, "host_key_fingerprint: SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1)
	w = newPullWorld(t, bad)
	code, out, stderr = w.run(t, "config", "check", "--connect")
	if code != 1 || !strings.Contains(out, "FAIL source gate:") || !strings.Contains(out, s.Fingerprint) {
		t.Fatalf("unknown host key: exit %d, want 1 naming %s\n%s%s", code, s.Fingerprint, out, stderr)
	}
}
