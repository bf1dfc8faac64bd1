package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/importer/runlock"
	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/internal/sqldb/sqltest"
	"github.com/hrsync/hrsync/sources/fetch"
)

// backend opens a fresh state of one kind.
type backend struct {
	name string
	opts func(t *testing.T) Options
}

var backends = []backend{
	{"sqlite", func(t *testing.T) Options { return Options{Path: filepath.Join(t.TempDir(), "state.db")} }},
	{"mariadb", func(t *testing.T) Options { return Options{URL: sqltest.MariaDBDatabase(t)} }},
	{"postgres", func(t *testing.T) Options {
		u, schema := sqltest.PostgresSchema(t)
		return Options{URL: u, Schema: schema}
	}},
	{"postgres-prefix", func(t *testing.T) Options {
		u, schema := sqltest.PostgresSchema(t)
		return Options{URL: u, Schema: schema, Prefix: "acme_"}
	}},
	{"sqlserver", func(t *testing.T) Options {
		u, schema := sqltest.SQLServerSchema(t)
		return Options{URL: u, Schema: schema, Prefix: "acme_"}
	}},
}

func openBackend(t *testing.T, b backend) (*Store, Options) {
	t.Helper()
	o := b.opts(t)
	s, err := OpenWith(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, o
}

// TestStateContract runs every fact the state keeps through each dialect.
func TestStateContract(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s, o := openBackend(t, b)
			ctx := context.Background()
			t.Run("migrations", func(t *testing.T) { checkMigrations(t, s, o) })
			t.Run("runs", func(t *testing.T) { checkRuns(t, s) })
			t.Run("watermarks and devices", func(t *testing.T) { checkWatermarks(t, s) })
			t.Run("ledger", func(t *testing.T) { checkLedger(t, s) })
			t.Run("users", func(t *testing.T) { checkUsers(t, s) })
			t.Run("outbox", func(t *testing.T) { checkOutbox(t, s) })
			t.Run("resync changes", func(t *testing.T) {
				_, err := s.DB.ExecContext(ctx, `INSERT INTO {resync_changes}(run_id,employee_id,punch_time,outcome,direction,device_id,
					before_direction,before_device_id,source,"file",line) VALUES(?,?,?,?,?,?,?,?,?,?,?)`, 7, "E1", "2026-01-01T08:00:00Z", "inserted", "in", "G", "", "", "src", "f.csv", 3)
				if err != nil {
					t.Fatal(err)
				}
			})
			t.Run("reports", func(t *testing.T) { checkReports(t, s) }) // last: it prunes the runs
			if s.Server() {
				t.Run("lock", func(t *testing.T) { checkLock(t, s) })
			}
		})
	}
}

func checkMigrations(t *testing.T, s *Store, o Options) {
	ctx := context.Background()
	st, err := s.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Current() || st.Version != Migrations[len(Migrations)-1].Version {
		t.Fatalf("status after open = %+v", st)
	}
	if done, err := s.Migrate(ctx); err != nil || len(done) != 0 {
		t.Fatalf("second migrate applied %v, %v", done, err)
	}
	// A version from a newer hrsync: runs refuse the state.
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO {`+MigrationsTable+`}(version,name,applied_at) VALUES(?,?,?)`, 999, "future", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWith(ctx, o); !errors.Is(err, ErrAhead) {
		t.Fatalf("open of a newer state: %v, want ErrAhead", err)
	}
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM {`+MigrationsTable+`} WHERE version=?`, 999); err != nil {
		t.Fatal(err)
	}
}

func checkRuns(t *testing.T, s *Store) {
	ctx := context.Background()
	start := time.Date(2025, 12, 1, 6, 30, 0, 0, time.UTC)
	id, err := s.StartRun(ctx, Run{Command: "import", Args: "--source gate", User: "it", Host: "srv", StartedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.StartRun(ctx, Run{Command: "resync", User: "it", StartedAt: start.Add(2 * time.Hour)})
	if err != nil || id2 <= id {
		t.Fatalf("second run id %d after %d: %v", id2, id, err)
	}
	if err := s.FinishRun(ctx, id, start.Add(1500*time.Millisecond), 3, map[string]int64{"imported": 5, "unmapped": 1}, "r.csv", ""); err != nil {
		t.Fatal(err)
	}
	r, err := s.GetRun(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.DurationMS != 1500 || *r.ExitCode != 3 || r.Counts["unmapped"] != 1 || r.ReportPath != "r.csv" || r.User != "it" {
		t.Fatalf("run = %+v", r)
	}
	runs, err := s.Runs(ctx, 1)
	if err != nil || len(runs) != 1 || runs[0].ID != id2 {
		t.Fatalf("Runs(1) = %+v, %v", runs, err)
	}
	page, err := s.PageRuns(ctx, RunFilter{Exit: []int{3}, Limit: 10})
	if err != nil || len(page) != 1 || page[0].ID != id {
		t.Fatalf("PageRuns(exit 3) = %+v, %v", page, err)
	}
	page, err = s.PageRuns(ctx, RunFilter{Running: true, Command: "resync", Limit: 10})
	if err != nil || len(page) != 1 || page[0].ID != id2 {
		t.Fatalf("PageRuns(running resync) = %+v, %v", page, err)
	}
	if n, err := s.CountRuns(ctx, RunFilter{From: start.Add(time.Hour)}); err != nil || n != 1 {
		t.Fatalf("CountRuns = %d, %v", n, err)
	}
	if cmds, err := s.Commands(ctx); err != nil || strings.Join(cmds, ",") != "import,resync" {
		t.Fatalf("Commands = %v, %v", cmds, err)
	}
	if n, reports, err := s.PruneRuns(ctx, start.Add(time.Hour)); err != nil || n != 1 || len(reports) != 1 || reports[0] != "r.csv" {
		t.Fatalf("pruned %d runs with reports %q (%v), want 1 with r.csv", n, reports, err)
	}
}

func checkWatermarks(t *testing.T, s *Store) {
	ctx := context.Background()
	if v, err := s.Watermark(ctx, "db"); v != "" || err != nil {
		t.Fatalf("fresh watermark = %q, %v", v, err)
	}
	for _, v := range []string{"10", "42"} {
		if err := s.SetWatermark(ctx, "db", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := s.Watermark(ctx, "db"); v != "42" {
		t.Fatalf("watermark = %q, want 42", v)
	}
	p := DevicePosition{Serial: "S1", Count: 120, Last: "7|2026-01-01 08:00:00|0", Pending: []string{"a.csv"}, Drift: 3 * time.Second}
	if err := s.SetDevicePosition(ctx, "gate", "front", p); err != nil {
		t.Fatal(err)
	}
	got, err := s.DevicePosition(ctx, "gate", "front")
	if err != nil || got.Count != 120 || got.Last != p.Last || len(got.Pending) != 1 || got.Drift != p.Drift {
		t.Fatalf("device position = %+v, %v", got, err)
	}
}

func checkLedger(t *testing.T, s *Store) {
	ctx := context.Background()
	l := s.Ledger()
	local := filepath.Join(t.TempDir(), "attlog_20251201.dat")
	f := fetch.RemoteFile{Path: "/exports/attlog_20251201.dat", Size: 100, ModTime: time.Date(2025, 12, 1, 23, 0, 0, 0, time.UTC)}
	if seen, _ := l.Seen(ctx, "gate", f); seen {
		t.Fatal("seen before pulling")
	}
	if err := os.WriteFile(local, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := l.Record(ctx, "gate", f, "abc", local); err != nil {
		t.Fatal(err)
	}
	if seen, err := l.Seen(ctx, "gate", f); !seen || err != nil {
		t.Fatalf("not seen after recording, its copy in the inbox: %v", err)
	}
	changed := f
	changed.Size = 120
	if seen, _ := l.Seen(ctx, "gate", changed); seen {
		t.Fatal("a changed file counts as seen")
	}
	if seen, _ := l.Seen(ctx, "other", f); seen {
		t.Fatal("another source's ledger leaks")
	}
	// The data folder went away before an import: pull it again.
	os.Remove(local)
	if seen, _ := l.Seen(ctx, "gate", f); seen {
		t.Fatal("a pulled file whose inbox copy is gone unimported counts as seen: it would never be imported")
	}
	if err := l.Record(ctx, "gate", f, "abc", local); err != nil { // pulled again
		t.Fatal(err)
	}
	if err := l.Settle(ctx, "gate", local); err != nil { // imported, archived
		t.Fatal(err)
	}
	if seen, _ := l.Seen(ctx, "gate", f); !seen {
		t.Fatal("an imported file is not seen: it would be pulled again")
	}
}

func checkUsers(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.PutUser(ctx, User{Name: "alice", PasswordHash: "h1", Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	first, _ := s.GetUser(ctx, "alice")
	if err := s.PutUser(ctx, User{Name: "alice", PasswordHash: "h2", Role: "viewer", Profile: "north"}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUser(ctx, User{Name: "Alice", PasswordHash: "h3", Role: "viewer"}); err != nil {
		t.Fatal(err)
	}
	u, err := s.GetUser(ctx, "alice")
	if err != nil || u.PasswordHash != "h2" || u.Role != "viewer" || u.Profile != "north" || !u.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("user = %+v, %v", u, err)
	}
	if us, _ := s.Users(ctx); len(us) != 2 {
		t.Fatalf("users = %+v, want alice and Alice apart", us)
	}
	if err := s.RemoveUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveUser(ctx, "alice"); !errors.Is(err, ErrNoUser) {
		t.Fatalf("second remove: %v", err)
	}
}

func checkOutbox(t *testing.T, s *Store) {
	ctx := context.Background()
	now := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	id, err := outbox.Enqueue(ctx, s.DB, outbox.Event{Target: "hr", Kind: "punches", Payload: []byte("[1]"), CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	again, err := outbox.Enqueue(ctx, s.DB, outbox.Event{Target: "hr", Kind: "punches", Payload: []byte("[1]"), CreatedAt: now})
	if err != nil || again != id {
		t.Fatalf("the same batch queued twice: %d then %d (%v)", id, again, err)
	}
	ids, err := outbox.EnqueueAll(ctx, s.DB, []outbox.Event{
		{Target: "hr", Kind: "punches", Payload: []byte("[2]"), CreatedAt: now},
		{Target: "hr", Kind: "punches", Payload: []byte("[3]"), CreatedAt: now},
	})
	if err != nil || len(ids) != 2 || ids[0] == id {
		t.Fatalf("EnqueueAll = %v, %v", ids, err)
	}
	due, err := outbox.Due(ctx, s.DB, now)
	if err != nil || len(due) != 3 || string(due[0].Payload) != "[1]" {
		t.Fatalf("due = %d events, %v", len(due), err)
	}
	if _, err := outbox.MarkFailed(ctx, s.DB, id, 503, "down", false, now, outbox.DefaultSchedule); err != nil {
		t.Fatal(err)
	}
	if err := outbox.MarkSucceeded(ctx, s.DB, id, 200, "ok", now); err != nil {
		t.Fatal(err)
	}
	reps, err := outbox.Replies(ctx, s.DB, id)
	if err != nil || len(reps) != 2 || reps[0].Status != 503 || reps[1].Status != 200 {
		t.Fatalf("replies = %+v, %v", reps, err)
	}
	if l, err := outbox.List(ctx, s.DB, "", 2); err != nil || len(l) != 2 || l[0].ID != ids[1] {
		t.Fatalf("List(2) = %d, %v", len(l), err)
	}
	if p, err := outbox.Page(ctx, s.DB, outbox.Pending, ids[1], 10); err != nil || len(p) != 1 || p[0].ID != ids[0] {
		t.Fatalf("Page = %+v, %v", p, err)
	}
	if m, err := outbox.Peek(ctx, s.DB, id, ids[0]); err != nil || m[id].Status != outbox.Succeeded || m[id].Payload != nil {
		t.Fatalf("Peek = %+v, %v", m, err)
	}
	if _, err := outbox.MarkFailed(ctx, s.DB, ids[0], 400, "bad", true, now, outbox.DefaultSchedule); err != nil {
		t.Fatal(err)
	}
	if n, err := outbox.Count(ctx, s.DB, outbox.Failed); err != nil || n != 1 {
		t.Fatalf("Count(failed) = %d, %v", n, err)
	}
	if n, err := outbox.Requeue(ctx, s.DB, now, ids[0]); err != nil || n != 1 {
		t.Fatalf("Requeue = %d, %v", n, err)
	}
	if err := outbox.MarkProcessed(ctx, s.DB, ids[1], "sent by hand", now); err != nil {
		t.Fatal(err)
	}
	if n, err := outbox.Prune(ctx, s.DB, now.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if _, err := outbox.Get(ctx, s.DB, id); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("pruned event: %v", err)
	}
}

func checkLock(t *testing.T, s *Store) {
	ctx := context.Background()
	lk := runlock.DB{SQL: s.SQL, Names: s.DB.Names, Key: s.Key, Where: "state " + s.Where, Holder: true}
	l, err := lk.Acquire(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetRun(ctx, 42); err != nil {
		t.Fatal(err)
	}
	// A second session (another worker) waits, then is refused naming the holder.
	other, err := connect(ctx, Options{URL: urlOf(t, s), Schema: s.DB.Schema, Prefix: s.DB.Prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lk2 := runlock.DB{SQL: other.SQL, Names: other.DB.Names, Key: other.Key, Where: "state " + other.Where, Holder: true}
	_, err = lk2.Acquire(ctx, 300*time.Millisecond)
	host, _ := os.Hostname()
	if !errors.Is(err, runlock.ErrBusy) || !strings.Contains(err.Error(), "run 42") || !strings.Contains(err.Error(), host) {
		t.Fatalf("second lock: %v, want busy naming run 42 on %s", err, host)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	l2, err := lk2.Acquire(ctx, time.Second)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
	// A holder killed with its session: cmd/hrsync's TestStateLockAcrossProcesses.
}

// urlOf is the URL a server store was opened with (the tests' own, no
// secrets in them).

func urlOf(t *testing.T, s *Store) string {
	t.Helper()
	if strings.HasPrefix(s.Where, "postgres") {
		return sqltest.PostgresURL()
	}
	if strings.HasPrefix(s.Where, "mysql") {
		return strings.SplitN(s.Where, " ", 2)[0]
	}
	return os.Getenv("HRSYNC_TEST_MSSQL_DSN")
}
