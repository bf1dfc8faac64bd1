package state

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/outbox"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/sources/fetch"
)

// TestMigrateOldSQLiteFile takes a state.db as hrsync made it before
// versioned migrations (testdata: the schema of that code, verbatim) and
// opens it: every fact is still there and the tables take new writes.
func TestMigrateOldSQLiteFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	schema, err := os.ReadFile("testdata/schema-before-migrations.sql")
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{string(schema),
		`INSERT INTO runs(command,args,user,host,started_at,finished_at,duration_ms,exit_code,counts,report_path) VALUES
			('import','--source gate','it','srv','2025-12-01T06:30:00.000Z','2025-12-01T06:30:01.500Z',1500,0,'{"imported":5}','r.csv')`,
		`INSERT INTO watermarks VALUES('db','42','2025-12-01T06:30:01.000Z')`,
		`INSERT INTO watermarks VALUES('device:gate/front','{"count":7}','2025-12-01T06:30:01.000Z')`,
		`INSERT INTO pulled_files VALUES('gate','/exports/a.dat',100,'2025-12-01T23:00:00Z','abc','/gone/inbox/a.dat','2025-12-01T23:01:00.000Z')`,
		`INSERT INTO console_users VALUES('alice','hash','admin','','2025-12-01T00:00:00.000Z','2025-12-01T00:00:00.000Z')`,
		`INSERT INTO outbox_events(target,kind,idempotency_key,payload,status,next_attempt,created_at,updated_at) VALUES
			('hr','punches','k1',x'5b5d','pending','2025-12-01T06:30:00.000000Z','2025-12-01T06:30:00.000000Z','2025-12-01T06:30:00.000000Z')`,
		`INSERT INTO outbox_replies VALUES(1,'2025-12-01T06:30:00.000000Z',503,'down')`,
		`INSERT INTO resync_changes(run_id,employee_id,punch_time,outcome) VALUES(1,'E1','2025-12-01T08:00:00Z','inserted')`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Status(ctx)
	if err != nil || !st.Current() {
		t.Fatalf("status = %+v, %v", st, err)
	}
	r, err := s.GetRun(ctx, 1)
	if err != nil || r.Command != "import" || r.DurationMS != 1500 || r.Counts["imported"] != 5 || r.User != "it" {
		t.Fatalf("run 1 = %+v, %v", r, err)
	}
	if v, _ := s.Watermark(ctx, "db"); v != "42" {
		t.Fatalf("watermark = %q", v)
	}
	if p, _ := s.DevicePosition(ctx, "gate", "front"); p.Count != 7 {
		t.Fatalf("device position = %+v", p)
	}
	// Pulled before versioned state: settled, so never pulled again even
	// though its inbox copy is gone (import archived it long ago).
	f := fetch.RemoteFile{Path: "/exports/a.dat", Size: 100, ModTime: time.Date(2025, 12, 1, 23, 0, 0, 0, time.UTC)}
	if seen, err := s.Ledger().Seen(ctx, "gate", f); !seen || err != nil {
		t.Fatalf("a file pulled before the migration is not seen: %v", err)
	}
	if u, err := s.GetUser(ctx, "alice"); err != nil || u.Role != "admin" {
		t.Fatalf("user = %+v, %v", u, err)
	}
	e, err := outbox.Get(ctx, s.DB, 1)
	if err != nil || e.Status != outbox.Pending || string(e.Payload) != "[]" {
		t.Fatalf("event 1 = %+v, %v", e, err)
	}
	if reps, _ := outbox.Replies(ctx, s.DB, 1); len(reps) != 1 || reps[0].Response != "down" {
		t.Fatalf("replies = %+v", reps)
	}
	// New writes land after the old rows.
	id, err := s.StartRun(ctx, Run{Command: "pull", StartedAt: time.Now()})
	if err != nil || id != 2 {
		t.Fatalf("new run id %d, %v", id, err)
	}
	if id, err := outbox.Enqueue(ctx, s.DB, outbox.Event{Target: "hr", Kind: "punches", Payload: []byte("[1]")}); err != nil || id != 2 {
		t.Fatalf("new event id %d, %v", id, err)
	}
	// Opening again changes nothing.
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}

// TestSQLServerStatements checks the SQL Server text the state's
// statements become, which the tests can run only with
// HRSYNC_TEST_MSSQL_DSN.
func TestSQLServerStatements(t *testing.T) {
	d, _ := sqldb.DialectFor(sqldb.SQLServer)
	n := sqldb.Names{Dialect: d, Schema: "acme", Prefix: "hr_"}
	for _, c := range []struct{ got, want string }{
		{n.Rebind(`SELECT "user", "file" FROM {runs} WHERE id=? AND x='a?{b}' ORDER BY id DESC` + n.Limit()),
			`SELECT [user], [file] FROM [acme].[hr_runs] WHERE id=@p1 AND x='a?{b}' ORDER BY id DESC OFFSET 0 ROWS FETCH NEXT @p2 ROWS ONLY`},
		{n.Rebind(`CREATE INDEX {=runs_started} ON {runs}(started_at)`), `CREATE INDEX [hr_runs_started] ON [acme].[hr_runs](started_at)`},
		{n.Rebind(n.InsertIDSQL(`INSERT INTO {runs}(command) VALUES(?)`, "id")), `INSERT INTO [acme].[hr_runs](command) OUTPUT INSERTED.[id] VALUES(@p1)`},
		{n.Rebind(n.Upsert("watermarks", []string{"source"}, []string{"source", "value"}, []string{"value"})),
			`MERGE INTO [acme].[hr_watermarks] WITH (HOLDLOCK) AS d USING (SELECT @p1 AS [source],@p2 AS [value]) AS s ON d.[source]=s.[source] ` +
				`WHEN MATCHED THEN UPDATE SET d.[value]=s.[value] WHEN NOT MATCHED THEN INSERT ([source],[value]) VALUES (s.[source],s.[value]);`},
		{n.Rebind(outbox.EnqueueSQLServer)[strings.Index(n.Rebind(outbox.EnqueueSQLServer), "OUTPUT"):],
			"OUTPUT INSERTED.id\n\tSELECT @p1, @p2, @p3, @p4, @p5, 'pending', 0, @p6, 0, '', '', @p7, @p8, @p9\n\tWHERE NOT EXISTS (SELECT 1 FROM [acme].[hr_outbox_events] WITH (UPDLOCK, HOLDLOCK) WHERE target = @p10 AND idempotency_key = @p11)"},
	} {
		if c.got != c.want {
			t.Errorf("got\n%s\nwant\n%s", c.got, c.want)
		}
	}
	// Every migration's DDL has its SQL Server types and no leftover token.
	for _, m := range Migrations {
		for _, q := range m.stmts(n) {
			q = n.Rebind(q)
			if strings.Contains(q, "$") || strings.Contains(q, "AUTOINCREMENT") || strings.Contains(q, "IF NOT EXISTS") || strings.Contains(q, " TEXT") {
				t.Errorf("migration %d: %s", m.Version, q)
			}
		}
	}
	if q := n.Rebind(base(n)[0]); !strings.Contains(q, "id BIGINT IDENTITY(1,1) PRIMARY KEY") || !strings.Contains(q, "command NVARCHAR(100) COLLATE Latin1_General_100_BIN2") {
		t.Errorf("runs on SQL Server: %s", q)
	}
}
