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
	// The outbox table keeps the columns its indexes need, so the state
	// opens and migrates, but loses those the listing reads: the listing
	// itself fails.
	db, err := sql.Open("sqlite", filepath.Join(filepath.Dir(cfg), "hrsync-data", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TABLE outbox_events; CREATE TABLE outbox_events (id INTEGER PRIMARY KEY, status TEXT, next_attempt TEXT, updated_at TEXT)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if code, _, errOut := run("events", "list", "--config", cfg); code != exitcode.Failed {
		t.Fatalf("events list on a broken state: exit %d, want %d: %s", code, exitcode.Failed, errOut)
	} else if !strings.Contains(errOut, "outbox: list") {
		t.Fatalf("the failure should come from the listing, not from opening the state: %s", errOut)
	}
	if code, _, errOut := run("events", "list", "--config", cfg, "--status", "bogus"); code != exitcode.Usage || !strings.Contains(errOut, "--status") {
		t.Fatalf("bad --status: exit %d, want %d: %s", code, exitcode.Usage, errOut)
	}
}
