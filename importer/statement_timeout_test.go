package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// runOutcome runs an import and returns its exit code and every message
// it left: the error, or the report's reasons.
func runOutcome(t *testing.T, cfg *config.Config) (exitcode.Code, string) {
	t.Helper()
	rep := filepath.Join(t.TempDir(), "report.jsonl")
	res, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep})
	if err != nil {
		return exitcode.For(err), err.Error()
	}
	var msgs []string
	if _, serr := os.Stat(rep); serr == nil {
		for _, l := range readLines(t, rep) {
			msgs = append(msgs, l.Reason)
		}
	}
	return exitcode.For(res.Outcome()), strings.Join(msgs, "\n")
}

// TestSourceStatementTimeout: a source query the server does not answer
// within the source's statement_timeout (SLEEP, pg_sleep) ends the run
// with exit 1 and a message naming the read and the setting.
func TestSourceStatementTimeout(t *testing.T) {
	for _, src := range dbSources(t)[1:] {
		t.Run(src.name, func(t *testing.T) {
			db := openSource(t, src)
			clock := newClockTable(t, db, src.timeType)
			clock.add("1001", clock.start)
			sleep := fmt.Sprintf("SELECT badge, punched_at FROM %s WHERE SLEEP(3) = 0", clock.name)
			if src.name == "postgres" {
				sleep = fmt.Sprintf("SELECT badge, punched_at FROM %s, pg_sleep(3)", clock.name)
			}
			cfg := dbConfig(t, src, clock.name, "{ column: punched_at }")
			s := cfg.Sources["clock"]
			s.Table, s.Query, s.StatementTimeout = "", sleep, config.Duration(500*time.Millisecond)
			code, msg := runOutcome(t, cfg)
			if code != exitcode.Failed || !strings.Contains(msg, "sources.clock.statement_timeout") || !strings.Contains(msg, "no answer from the database within 500ms") {
				t.Fatalf("exit %d, %q: want 1 naming sources.clock.statement_timeout", code, msg)
			}
			t.Logf("%s", msg)
			if n := hrCount(t, cfg); n != 0 {
				t.Fatalf("%d punches stored by a read that timed out", n)
			}
		})
	}
}

// TestHRStatementTimeout: a punch table another session holds locked makes
// the write wait; hr.statement_timeout ends the run with exit 1 naming it,
// nothing of the waiting batch is stored, and once the lock is gone a
// re-run stores exactly what the file holds.
func TestHRStatementTimeout(t *testing.T) {
	for _, src := range dbSources(t)[1:] {
		t.Run(src.name, func(t *testing.T) {
			db := openSource(t, src)
			table := fmt.Sprintf("locked_%d", time.Now().UnixNano()%1e12)
			t.Cleanup(func() { db.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+table) })
			cfg := setup(t, []byte("Pin,Time\n1001,2025-12-01 08:00:00\n"), "")
			cfg.HR.URL, cfg.HR.StatementTimeout = src.url, config.Duration(time.Second)
			cfg.HR.Punches.Table = table
			yes := true
			cfg.HR.CreateTables = &yes
			if code, msg := runOutcome(t, cfg); code != exitcode.OK {
				t.Fatalf("first run: exit %d %s", code, msg)
			}
			more := "Pin,Time\n1001,2025-12-01 08:00:00\n1002,2025-12-01 08:01:00\n1001,2025-12-01 17:00:00\n"
			if err := os.WriteFile(filepath.Join(cfg.Dir, "punches.csv"), []byte(more), 0o644); err != nil {
				t.Fatal(err)
			}

			unlock := lockTable(t, db, table)
			code, msg := runOutcome(t, cfg)
			unlock()
			if code != exitcode.Failed || !strings.Contains(msg, "hr.statement_timeout") || !strings.Contains(msg, "no answer from the database within 1s") ||
				!strings.Contains(msg, "writing a batch of 3 punches") || !strings.Contains(msg, "rolled back") {
				t.Fatalf("locked: exit %d, %q: want 1 naming hr.statement_timeout", code, msg)
			}
			t.Logf("locked: %s", msg)
			if n := countRows(t, db, table); n != 1 {
				t.Fatalf("%d rows after the timed-out run, want the 1 committed before", n)
			}
			rep := filepath.Join(t.TempDir(), "again.jsonl")
			res, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep})
			if err != nil || res.Counts[mapping.Imported] != 2 || res.Counts[mapping.Duplicate] != 1 {
				t.Fatalf("re-run: %v %v, want 2 imported and 1 duplicate", res.Counts, err)
			}
			if n := countRows(t, db, table); n != 3 {
				t.Fatalf("%d rows after the re-run, want 3", n)
			}
		})
	}
}

// lockTable holds table locked against other sessions' writes (reads
// still pass, so the run gets as far as its batch) until the returned
// function is called.
func lockTable(t *testing.T, db *sqldb.DB, table string) func() {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if db.Dialect.Name() == sqldb.MySQL {
		if _, err := conn.ExecContext(ctx, "LOCK TABLES "+table+" READ"); err != nil {
			t.Fatal(err)
		}
		return func() { conn.ExecContext(ctx, "UNLOCK TABLES"); conn.Close() }
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+table+" IN SHARE MODE"); err != nil {
		t.Fatal(err)
	}
	return func() { tx.Rollback(); conn.Close() }
}

func countRows(t *testing.T, db *sqldb.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
