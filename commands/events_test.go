package commands

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestEventsListStateErrorIsARunFailure: a state database that cannot be
// read is a failed run (exit 1), not a usage error (exit 2); a bad --status
// still is one.
func TestEventsListStateErrorIsARunFailure(t *testing.T) {
	cfg := quickstart(t)
	if code, _, errOut := run("events", "list", "--config", cfg); code != exitcode.OK {
		t.Fatalf("events list on a fresh state: exit %d: %s", code, errOut)
	}
	// The outbox table loses a column the listing reads: the state opens,
	// the listing fails.
	db, err := sql.Open("sqlite", filepath.Join(filepath.Dir(cfg), "hrsync-data", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE outbox_events; CREATE TABLE outbox_events (id INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if code, _, errOut := run("events", "list", "--config", cfg); code != exitcode.Failed {
		t.Fatalf("events list on a broken state: exit %d, want %d: %s", code, exitcode.Failed, errOut)
	}
	if code, _, errOut := run("events", "list", "--config", cfg, "--status", "bogus"); code != exitcode.Usage || !strings.Contains(errOut, "--status") {
		t.Fatalf("bad --status: exit %d, want %d: %s", code, exitcode.Usage, errOut)
	}
}
