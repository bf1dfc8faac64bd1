package commands

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestPanicIsAFailureNotAUsageError: a command that panics (a bug) exits
// with the failure code, not the runtime's 2, which is a usage error's.
func TestPanicIsAFailureNotAUsageError(t *testing.T) {
	var errOut bytes.Buffer
	app := &App{Err: &errOut}
	root := &cobra.Command{Use: "hrsync", SilenceErrors: true, SilenceUsage: true,
		RunE: func(*cobra.Command, []string) error { panic("boom") }}
	root.SetArgs(nil)
	_, err := app.execute(context.Background(), root)
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
	if code := exitcode.For(err); code == exitcode.For(exitcode.Usagef("x")) {
		t.Fatalf("exit code %d is a usage error's", code)
	}
}
