//go:build unix

package importer

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRunFilesAreOwnerOnly: under the usual umask (022) the state
// database, its WAL, the run lock and the report are 0600 and their
// folders 0700: they hold employee ids, punch times and outbox payloads.
func TestRunFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	cfg := setup(t, []byte("Pin,Time\n1001,2025-12-01 08:00:00\n"), "")
	res, err := Import(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{
		cfg.DataDir:                                0o700,
		filepath.Join(cfg.DataDir, "state.db"):     0o600,
		filepath.Join(cfg.DataDir, "state.db-wal"): 0o600,
		filepath.Join(cfg.DataDir, "hrsync.lock"):  0o600,
		filepath.Dir(res.ReportPath):               0o700,
		res.ReportPath:                             0o600,
	}
	for path, mode := range want {
		info, err := os.Stat(path)
		if err != nil {
			if os.IsNotExist(err) && filepath.Ext(path) == ".db-wal" {
				continue // checkpointed away on close
			}
			t.Errorf("%s: %v", path, err)
			continue
		}
		if got := info.Mode().Perm(); got != mode {
			t.Errorf("%s: mode %o, want %o", path, got, mode)
		}
	}
}
