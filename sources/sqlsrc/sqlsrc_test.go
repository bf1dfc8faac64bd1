package sqlsrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// backend is a live database the tests read from.
type backend struct {
	name, url string
	timeType  string // a time column without a zone
}

func backends(t *testing.T) []backend {
	return []backend{
		{"sqlite", "sqlite://" + filepath.Join(t.TempDir(), "src.db"), "TEXT"},
		{"mariadb", envOr("HRSYNC_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"), "DATETIME"},
		{"postgres", envOr("HRSYNC_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "TIMESTAMP"},
		{"sqlserver", os.Getenv("HRSYNC_TEST_MSSQL_DSN"), "DATETIME2"},
		{"oracle", os.Getenv("HRSYNC_TEST_ORACLE_DSN"), "TIMESTAMP"},
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

var tableSeq atomic.Int64

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, time.Now().UnixNano()%1e9, tableSeq.Add(1))
}

// connect opens the backend or skips the test saying why.
func connect(t *testing.T, b backend) *sqldb.DB {
	t.Helper()
	if b.url == "" {
		t.Skipf("%s not configured: set HRSYNC_TEST_%s_DSN to run this test live", b.name, map[string]string{"sqlserver": "MSSQL", "oracle": "ORACLE"}[b.name])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sqldb.Open(ctx, b.url, sqldb.Credentials{})
	if err != nil {
		t.Skipf("%s not reachable: %v", b.name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type punchRow struct {
	id   int
	emp  any // nil = NULL
	ts   any // "2025-01-02 08:00:00" or nil
	note string
}

// createPunches makes a table (id, emp, ts, note) holding rows; dropped at the end.
func createPunches(t *testing.T, db *sqldb.DB, timeType string, rows []punchRow) string {
	t.Helper()
	ctx := context.Background()
	table := uniqueName("src_punch")
	q := func(s string) string { v, _ := db.Dialect.Quote("t", s); return v }
	ddl := fmt.Sprintf("CREATE TABLE %s (%s INTEGER NOT NULL, %s VARCHAR(20) NULL, %s %s NULL, %s VARCHAR(20) NULL)",
		q(table), q("id"), q("emp"), q("ts"), timeType, q("note"))
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { db.ExecContext(context.Background(), "DROP TABLE "+q(table)) })
	insertPunches(t, db, table, rows)
	return table
}

func insertPunches(t *testing.T, db *sqldb.DB, table string, rows []punchRow) {
	t.Helper()
	d := db.Dialect
	q := func(s string) string { v, _ := d.Quote("t", s); return v }
	for _, r := range rows {
		var ts any
		if s, ok := r.ts.(string); ok {
			tt, _ := time.Parse(sqldb.TimeLayout, s)
			ts = tt
			if d.Name() == sqldb.SQLite {
				ts = s
			}
		}
		_, err := db.ExecContext(context.Background(), fmt.Sprintf("INSERT INTO %s (%s, %s, %s, %s) VALUES (%s, %s, %s, %s)",
			q(table), q("id"), q("emp"), q("ts"), q("note"), d.Placeholder(1), d.Placeholder(2), d.Placeholder(3), d.Placeholder(4)),
			r.id, r.emp, ts, r.note)
		if err != nil {
			t.Fatalf("insert %+v: %v", r, err)
		}
	}
}

func readAll(t *testing.T, s *Source, w Window) []mapping.Row {
	t.Helper()
	r, err := s.Read(context.Background(), w)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	defer r.Close()
	var out []mapping.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		out = append(out, row)
	}
}

func ids(rows []mapping.Row) string {
	var b []string
	for _, r := range rows {
		b = append(b, r.Fields[0])
	}
	return strings.Join(b, ",")
}

func TestLive(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			db := connect(t, b)
			base := []punchRow{
				{1, "101", "2025-01-02 08:00:00", "in"},
				{2, "102", "2025-01-02 08:05:00", "in"},
				{3, nil, "2025-01-02 08:06:00", "null key"},
				{4, "103", nil, "null time"},
				{5, "101", "2025-01-02 17:00:00", "out"},
				{6, "102", "2025-01-02 17:00:00", "out"},
			}
			table := createPunches(t, db, b.timeType, base)
			cfg := Config{Name: "clock", URL: b.url, Table: table, Columns: []string{"id", "emp", "ts", "note"},
				TimeColumn: "ts", KeyColumn: "emp", Watermark: &Watermark{Column: "id", Kind: KindID}}
			ctx := context.Background()
			s, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()

			t.Run("all rows, NULL as blank, origin and cursor", func(t *testing.T) {
				rows := readAll(t, s, Window{})
				if got := ids(rows); got != "1,2,3,4,5,6" {
					t.Fatalf("ids %s", got)
				}
				if rows[2].Fields[1] != "" || rows[3].Fields[2] != "" {
					t.Errorf("NULLs: %q %q", rows[2].Fields, rows[3].Fields)
				}
				if rows[0].Fields[2] != "2025-01-02 08:00:00" {
					t.Errorf("time text %q", rows[0].Fields[2])
				}
				if rows[4].Origin != (mapping.Origin{Source: "clock", File: table, Line: 5}) {
					t.Errorf("origin %+v", rows[4].Origin)
				}
				if rows[5].Cursor != "6" || rows[0].Cursor != "1" {
					t.Errorf("cursors %q %q", rows[0].Cursor, rows[5].Cursor)
				}
			})
			t.Run("after the watermark", func(t *testing.T) {
				if got := ids(readAll(t, s, Window{After: "4"})); got != "5,6" {
					t.Fatalf("ids %s", got)
				}
			})
			t.Run("window and keys pushed down", func(t *testing.T) {
				w := Window{From: time.Date(2025, 1, 2, 8, 1, 0, 0, time.UTC), To: time.Date(2025, 1, 2, 18, 0, 0, 0, time.UTC), Keys: []string{"102", "103"}}
				rows := readAll(t, s, w)
				if got := ids(rows); got != "2,6" {
					t.Fatalf("ids %s", got)
				}
				if rows[1].Cursor != "" {
					t.Errorf("a partial read set cursor %q", rows[1].Cursor)
				}
				if got := ids(readAll(t, s, Window{Keys: []string{}})); got != "" {
					t.Errorf("empty key list read %s", got)
				}
			})
			t.Run("key list too long for one statement is filtered while reading", func(t *testing.T) {
				keys := make([]string, s.db.Dialect.MaxParams()+1)
				for i := range keys {
					keys[i] = fmt.Sprint(100000 + i)
				}
				keys[0] = "103"
				if got := ids(readAll(t, s, Window{Keys: keys})); got != "4" {
					t.Fatalf("ids %s", got)
				}
			})
			t.Run("time watermark with overlap and a late row", func(t *testing.T) {
				tc := cfg
				tc.Watermark = &Watermark{Column: "ts", Overlap: 10 * time.Minute}
				ts, err := Open(ctx, tc)
				if err != nil {
					t.Fatal(err)
				}
				defer ts.Close()
				rows := readAll(t, ts, Window{})
				last := rows[len(rows)-1].Cursor
				if !strings.HasPrefix(last, "2025-01-02 17:00:00") {
					t.Fatalf("cursor %q", last)
				}
				// Two rows share 17:00 (ids 5 and 6): the first must not claim
				// it yet. (NULL times sort first or last depending on the database.)
				for _, r := range rows {
					if r.Fields[0] == "5" && strings.HasPrefix(r.Cursor, "2025-01-02 17") {
						t.Errorf("cursor moved to a value not fully read: %q", r.Cursor)
					}
				}
				// A punch of 16:55 arrives late; a new one at 18:00.
				insertPunches(t, db, table, []punchRow{{7, "103", "2025-01-02 16:55:00", "late"}, {8, "103", "2025-01-02 18:00:00", "new"}})
				rows = readAll(t, ts, Window{After: last})
				if got := ids(rows); got != "7,5,6,8" {
					t.Fatalf("ids %s", got)
				}
				if rows[0].Cursor != last {
					t.Errorf("overlap row moved the cursor back: %q", rows[0].Cursor)
				}
				if !strings.HasPrefix(rows[3].Cursor, "2025-01-02 18:00:00") {
					t.Errorf("cursor %q", rows[3].Cursor)
				}
			})
			t.Run("query mode", func(t *testing.T) {
				qc := Config{Name: "q", URL: b.url, Query: fmt.Sprintf("SELECT id AS n, emp AS badge, ts AS t FROM %s WHERE emp IS NOT NULL;", table),
					TimeColumn: "t", KeyColumn: "badge", Watermark: &Watermark{Column: "n", Kind: KindID}}
				qs, err := Open(ctx, qc)
				if err != nil {
					t.Fatal(err)
				}
				defer qs.Close()
				rows := readAll(t, qs, Window{After: "1", Keys: []string{"101", "103"}})
				if got := ids(rows); got != "4,5,7,8" {
					t.Fatalf("ids %s", got)
				}
				if rows[0].Origin.File != "query" || !strings.EqualFold(rows[0].Header[1], "badge") {
					t.Errorf("origin %+v header %v", rows[0].Origin, rows[0].Header)
				}
			})
			t.Run("missing table and column fail fast naming them", func(t *testing.T) {
				bad := cfg
				bad.Table = table + "_nope"
				_, err := Open(ctx, bad)
				if err == nil || !strings.Contains(err.Error(), bad.Table) || !strings.Contains(err.Error(), "does not exist") {
					t.Errorf("missing table: %v", err)
				}
				bad = cfg
				bad.Columns = []string{"id", "emp", "when_ts"}
				_, err = Open(ctx, bad)
				if err == nil || !strings.Contains(err.Error(), "when_ts") {
					t.Errorf("missing column: %v", err)
				}
				bad = cfg
				bad.Table, bad.Columns, bad.Query = "", nil, "SELECT id FROM "+table
				_, err = Open(ctx, bad)
				if err == nil || !strings.Contains(err.Error(), `"ts"`) {
					t.Errorf("query without the time column: %v", err)
				}
			})
		})
	}
}

func TestBadCredentialsAreRedacted(t *testing.T) {
	b := backends(t)[1]
	connect(t, b) // skips when MariaDB is not there
	_, err := Open(context.Background(), Config{Name: "x", URL: "mysql://nobody:s3cret@127.0.0.1:3306/test", Table: "t", Columns: []string{"a"}})
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("password in %v", err)
	}
	if !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("where? %v", err)
	}
	if sqldb.Classify(errors.Unwrap(err)) == sqldb.Transient {
		t.Errorf("bad credentials look transient: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Name: "a"}, "url is required"},
		{Config{Name: "a", URL: "sqlite://x.db"}, "either table or query"},
		{Config{Name: "a", URL: "sqlite://x.db", Table: "t"}, "no columns"},
		{Config{Name: "a", URL: "sqlite://x.db", Query: "SELECT 1", Watermark: &Watermark{}}, "watermark.column"},
		{Config{Name: "a", URL: "sqlite://x.db", Query: "SELECT 1", Watermark: &Watermark{Column: "c", Kind: "rowid"}}, "watermark.kind"},
		{Config{Name: "a", URL: "sqlite://x.db", Query: "SELECT 1", Watermark: &Watermark{Column: "c", Kind: KindID, Overlap: time.Minute}}, "overlap"},
		{Config{Name: "a", URL: "sqlite://" + filepath.Join(t.TempDir(), "y.db"), Table: "t; DROP", Columns: []string{"a"}}, "not a valid SQL name"},
	} {
		_, err := Open(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.cfg, err, c.want)
		}
	}
}
