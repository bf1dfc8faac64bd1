//go:build unix

package sources

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestNamedPipeIsRefusedNotOpened: a named pipe among the exports is a
// clear error, at once; opening it would wait for a writer forever.
func TestNamedPipeIsRefusedNotOpened(t *testing.T) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "punches.csv")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	files, err := Expand(filepath.Join(dir, "*.csv"))
	if err != nil || len(files) != 1 {
		t.Fatalf("Expand: %v %v, want the pipe listed so its refusal is reported", files, err)
	}
	_, _, err = OpenFile(pipe, "gate", FileFormat{})
	if err == nil || !strings.Contains(err.Error(), "not a regular file (a named pipe)") {
		t.Fatalf("OpenFile of a named pipe: %v", err)
	}
}
