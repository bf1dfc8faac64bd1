//go:build unix

package commands

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestInboxIsOwnerOnly: under the usual umask 022 a pull's inbox folder is
// 0700 and the files it pulls 0600: they hold employee ids and punch times.
func TestInboxIsOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	w := newPullWorld(t, "url: remote\n      pattern: \"*.csv\"\n      stable_for: -1s")
	w.punches(t, w.remote, "a.csv", 1, 10)
	if code, _, stderr := w.run(t, "pull"); code != 0 {
		t.Fatalf("pull: exit %d\n%s", code, stderr)
	}
	for path, want := range map[string]os.FileMode{w.inbox: 0o700, filepath.Join(w.inbox, "a.csv"): 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", path, got, want)
		}
	}
}
