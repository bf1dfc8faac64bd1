package sqldb

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mysql://hr:s3cr%40t@db:3306/hr", "mysql://hr:xxxxx@db:3306/hr"},
		{"postgres://hr:pw@db/hr?sslmode=disable&password=pw2", "postgres://hr:xxxxx@db/hr?password=xxxxx&sslmode=disable"},
		{"sqlserver://sa@db:1433?database=hr&PWD=x1", "sqlserver://sa@db:1433?PWD=xxxxx&database=hr"},
		{"oracle://scott:tiger@db:1521/ORCL", "oracle://scott:xxxxx@db:1521/ORCL"},
		{"sqlite://hr.db", "sqlite://hr.db"},
		{"mysql://hr@db/hr", "mysql://hr@db/hr"},
		// Not a URL at all: the fallbacks still mask.
		{"server=db;user id=sa;password=hunter2;database=hr", "server=db;user id=sa;password=xxxxx;database=hr"},
		{"mysql://hr:p w%zz@db/hr", "mysql://hr:xxxxx@db/hr"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, secret := range []string{"s3cr", "tiger", "hunter2", "pw2", "x1", "p w"} {
			if strings.Contains(Redact(tt.in), secret) {
				t.Errorf("Redact(%q) shows %q", tt.in, secret)
			}
		}
	}
}

// An unreachable server: the error must name the database but never the
// password, from the URL or from the credentials.
func TestOpenErrorsHidePasswords(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, u := range []string{
		"mysql://hr:UrlSecret1@127.0.0.1:1/hr",
		"postgres://hr:UrlSecret1@127.0.0.1:1/hr?sslmode=disable",
		"sqlserver://hr:UrlSecret1@127.0.0.1:1?database=hr&dial+timeout=1",
		"oracle://hr:UrlSecret1@127.0.0.1:1/ORCL",
	} {
		_, err := Open(ctx, u, Credentials{Password: "CredSecret2"})
		if err == nil {
			t.Fatalf("Open(%s) succeeded against a closed port", Redact(u))
		}
		msg := err.Error()
		if strings.Contains(msg, "UrlSecret1") || strings.Contains(msg, "CredSecret2") {
			t.Errorf("error shows a password: %s", msg)
		}
		if !strings.Contains(msg, "127.0.0.1") {
			t.Errorf("error does not say which database: %s", msg)
		}
	}
}

func TestOpenRejectsUnknownScheme(t *testing.T) {
	_, err := Open(context.Background(), "db2://u:topsecret@h/x", Credentials{})
	if err == nil || !strings.Contains(err.Error(), "unknown scheme") || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("err = %v", err)
	}
}

func TestSQLiteDSN(t *testing.T) {
	const pragmas = "_pragma=busy_timeout%2810000%29&_pragma=journal_mode%28WAL%29&_pragma=synchronous%28NORMAL%29&_pragma=cache_size%28-8192%29&_txlock=immediate"
	tests := []struct{ in, want string }{
		{"sqlite://hr.db", "file:hr.db?" + pragmas},
		{"sqlite:///var/lib/hr.db", "file:/var/lib/hr.db?" + pragmas},
		{"sqlite://C:/hr/hr.db", "file:C:/hr/hr.db?" + pragmas},
		{"sqlite:///C:/hr/hr.db", "file:C:/hr/hr.db?" + pragmas},
		{"sqlite://:memory:", "file::memory:?" + pragmas},
		{"sqlite://hr.db?_pragma=cache_size(-1000)", "file:hr.db?_pragma=cache_size%28-1000%29&" + strings.Replace(pragmas, "&_pragma=cache_size%28-8192%29", "", 1)},
	}
	for _, tt := range tests {
		got, err := SQLiteDSN(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("SQLiteDSN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := SQLiteDSN("sqlite://"); err == nil {
		t.Error("an empty path should be refused")
	}
}

func TestOpenSQLiteSetsPragmas(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "x.db"), Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for pragma, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "10000", "synchronous": "1", "cache_size": "-8192"} {
		var got string
		if err := db.GetContext(ctx, &got, "PRAGMA "+pragma); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
	if db.Dialect.Name() != SQLite || db.Stats().MaxOpenConnections != 1 {
		t.Errorf("dialect %s, max connections %d", db.Dialect.Name(), db.Stats().MaxOpenConnections)
	}
}

func TestMySQLConfig(t *testing.T) {
	u, _ := url.Parse("mysql://urluser:urlpass@db.example/hr?tls=skip-verify&timeout=5s")
	cfg, err := MySQLConfig(u, Credentials{User: "svc", Password: "p@ss:w/rd"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.User != "svc" || cfg.Passwd != "p@ss:w/rd" || cfg.Addr != "db.example:3306" || cfg.DBName != "hr" ||
		!cfg.ParseTime || cfg.Loc != time.UTC || cfg.TLSConfig != "skip-verify" || cfg.Timeout != 5*time.Second {
		t.Errorf("config = %+v", cfg)
	}
	cfg, err = MySQLConfig(u, Credentials{})
	if err != nil || cfg.User != "urluser" || cfg.Passwd != "urlpass" {
		t.Errorf("URL credentials not used: %+v, %v", cfg, err)
	}
}

func TestWithCredentials(t *testing.T) {
	u, _ := url.Parse("sqlserver://sa:old@db:1433?database=hr")
	if got := withCredentials(u, Credentials{Password: "n@w"}); got != "sqlserver://sa:n%40w@db:1433?database=hr" {
		t.Errorf("got %s", got)
	}
	u, _ = url.Parse("oracle://db:1521/ORCL")
	if got := withCredentials(u, Credentials{User: "hr", Password: "pw"}); got != "oracle://hr:pw@db:1521/ORCL" {
		t.Errorf("got %s", got)
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ dialect, in, want string }{
		{SQLite, "attendance_punches", "`attendance_punches`"},
		{MySQL, "hr.punches", "`hr`.`punches`"},
		{Postgres, "Punches", `"Punches"`},
		{SQLServer, "dbo.punches", "[dbo].[punches]"},
		{Oracle, "hr.punches", `"HR"."PUNCHES"`},
		{Oracle, "MixedCase", `"MixedCase"`},
	}
	for _, tt := range tests {
		d, _ := DialectFor(tt.dialect)
		got, err := d.Quote("punches.table", tt.in)
		if err != nil || got != tt.want {
			t.Errorf("%s Quote(%q) = %q, %v; want %q", tt.dialect, tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "a b", "x;drop table y", "a.b.c", "1abc", `a"b`, "a`b", "[x]", "tbl--", strings.Repeat("a", 129)} {
		d, _ := DialectFor(Postgres)
		_, err := d.Quote("employees.columns.name", bad)
		if err == nil || !strings.Contains(err.Error(), "employees.columns.name") {
			t.Errorf("Quote(%q) err = %v, want one naming the config key", bad, err)
		}
	}
}

func TestPlaceholderAndLimits(t *testing.T) {
	tests := []struct {
		dialect   string
		third     string
		maxParams int
	}{
		{SQLite, "?", 32766}, {MySQL, "?", 65535}, {Postgres, "$3", 65535}, {SQLServer, "@p3", 2098}, {Oracle, ":3", 32767},
	}
	for _, tt := range tests {
		d, _ := DialectFor(tt.dialect)
		if got := d.Placeholder(3); got != tt.third {
			t.Errorf("%s Placeholder(3) = %q, want %q", tt.dialect, got, tt.third)
		}
		if d.MaxParams() != tt.maxParams {
			t.Errorf("%s MaxParams = %d, want %d", tt.dialect, d.MaxParams(), tt.maxParams)
		}
	}
	if _, err := DialectFor("db2"); err == nil {
		t.Error("unknown dialect accepted")
	}
}

func TestBindAndScanTime(t *testing.T) {
	local := time.Date(2026, 3, 1, 15, 4, 5, 600_000_000, time.FixedZone("ICT", 7*3600))
	sqlite, _ := DialectFor(SQLite)
	if got := sqlite.BindTime(local, NaiveIn(time.UTC)); got != "2026-03-01 08:04:05" {
		t.Errorf("SQLite BindTime = %v", got)
	}
	pg, _ := DialectFor(Postgres)
	for _, c := range []Clock{Instant, NaiveIn(time.UTC)} {
		if got := pg.BindTime(local, c).(time.Time); !got.Equal(time.Date(2026, 3, 1, 8, 4, 5, 0, time.UTC)) || got.Location() != time.UTC {
			t.Errorf("Postgres BindTime(%v) = %v", c, got)
		}
	}
	want := time.Date(2026, 3, 1, 8, 4, 5, 0, time.UTC)
	for _, v := range []any{"2026-03-01 08:04:05", []byte("2026-03-01T08:04:05Z"), "2026-03-01 15:04:05+07:00", want, want.In(time.FixedZone("X", 3600))} {
		got, err := Instant.Read(v)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Instant.Read(%v) = %v, %v", v, got, err)
		}
	}
	if _, err := Instant.Read(42); err == nil {
		t.Error("Read(42) should fail")
	}
}

// A naive column keeps the wall clock of the HR system's zone: a 07:58
// punch in Ho Chi Minh City is written as 07:58 and read back as the same
// instant; zone-aware columns and text with an offset stay instants.
func TestNaiveClock(t *testing.T) {
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	punch := time.Date(2025, 12, 1, 7, 58, 0, 0, hcm)
	c := NaiveIn(hcm)
	sqlite, _ := DialectFor(SQLite)
	if got := sqlite.BindTime(punch, c); got != "2025-12-01 07:58:00" {
		t.Errorf("SQLite BindTime = %v, want 07:58", got)
	}
	my, _ := DialectFor(MySQL)
	wall := my.BindTime(punch, c).(time.Time)
	if wall != time.Date(2025, 12, 1, 7, 58, 0, 0, time.UTC) {
		t.Errorf("MySQL BindTime = %v, want 07:58 labelled UTC", wall)
	}
	for _, v := range []any{wall, "2025-12-01 07:58:00", []byte("2025-12-01T07:58:00"), "2025-12-01T00:58:00Z"} {
		got, err := c.Read(v)
		if err != nil || !got.Equal(punch) || got.Location() != time.UTC {
			t.Errorf("naive Read(%v) = %v, %v; want %v", v, got, err, punch.UTC())
		}
	}
	if got, _ := Instant.Read(wall); got.Equal(punch) {
		t.Errorf("an instant column read the wall clock as %v", got)
	}
	for _, tc := range []struct {
		dialect, typ string
		aware        bool
	}{
		{Postgres, "TIMESTAMPTZ", true}, {Postgres, "TIMESTAMP", false}, {MySQL, "TIMESTAMP", true}, {MySQL, "DATETIME", false},
		{SQLServer, "DATETIMEOFFSET", true}, {SQLServer, "DATETIME2", false}, {SQLite, "TEXT", false}, {Oracle, "DATE", false},
	} {
		d, _ := DialectFor(tc.dialect)
		if got := d.ZoneAware(tc.typ); got != tc.aware {
			t.Errorf("%s ZoneAware(%s) = %v", tc.dialect, tc.typ, got)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Kind
	}{
		{&mysql.MySQLError{Number: 1213}, Transient},
		{&mysql.MySQLError{Number: 1146, Message: "Table 'hr.punches' doesn't exist"}, MissingTable},
		{&mysql.MySQLError{Number: 1054}, MissingColumn},
		{&mysql.MySQLError{Number: 1045}, AccessDenied},
		{&mysql.MySQLError{Number: 1062}, Other},
		{&pgconn.PgError{Code: "40001"}, Transient},
		{&pgconn.PgError{Code: "40P01"}, Transient},
		{&pgconn.PgError{Code: "42P01"}, MissingTable},
		{&pgconn.PgError{Code: "42703"}, MissingColumn},
		{&pgconn.PgError{Code: "28P01"}, AccessDenied},
		{mssql.Error{Number: 1205}, Transient},
		{mssql.Error{Number: 208}, MissingTable},
		{mssql.Error{Number: 207}, MissingColumn},
		{mssql.Error{Number: 18456}, AccessDenied},
		{fmt.Errorf("wrapped: %w", mysql.ErrInvalidConn), Transient},
		{context.Canceled, Other},
		{errors.New("syntax error"), Other},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestClassifySQLite(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite://:memory:", Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "SELECT x FROM nowhere")
	if Classify(err) != MissingTable {
		t.Errorf("Classify(%v) = %v", err, Classify(err))
	}
	explained := db.Explain(err, "nowhere")
	if !strings.Contains(explained.Error(), "table nowhere does not exist in sqlite://:memory:") {
		t.Errorf("Explain = %v", explained)
	}
	db.MustExec("CREATE TABLE t (a TEXT)")
	_, err = db.ExecContext(ctx, "INSERT INTO t (a, badge) VALUES ('x', 'y')")
	if Classify(err) != MissingColumn {
		t.Errorf("Classify(%v) = %v", err, Classify(err))
	}
	if e := db.Explain(err, "t", "a", "badge"); !strings.Contains(e.Error(), "column badge does not exist in table t") {
		t.Errorf("Explain = %v", e)
	}
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	calls := 0
	err := Retry(ctx, 5, func(context.Context) error {
		calls++
		if calls < 3 {
			return &mysql.MySQLError{Number: 1213, Message: "Deadlock found"}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("transient errors: err %v after %d calls, want success after 3", err, calls)
	}

	calls = 0
	permanent := &pgconn.PgError{Code: "42P01", Message: `relation "punches" does not exist`}
	err = Retry(ctx, 5, func(context.Context) error { calls++; return permanent })
	if calls != 1 || !errors.Is(err, permanent) {
		t.Errorf("permanent error: %d calls, err %v; want 1 call", calls, err)
	}

	calls = 0
	err = Retry(ctx, 2, func(context.Context) error { calls++; return Conflict("raced") })
	if calls != 2 || err == nil || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Errorf("exhausted: %d calls, err %v", calls, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = Retry(cctx, 5, func(context.Context) error { return mssql.Error{Number: 1205} })
	if err == nil || !strings.Contains(err.Error(), "gave up") {
		t.Errorf("cancelled: err %v", err)
	}
}

// TestSchemesAreTheOpeners: the list config checks against is the
// registry Open uses, scheme for scheme.
func TestSchemesAreTheOpeners(t *testing.T) {
	if len(Schemes()) != len(openers) {
		t.Fatalf("Schemes() has %d, openers %d", len(Schemes()), len(openers))
	}
	for _, s := range Schemes() {
		if _, ok := openers[s]; !ok {
			t.Errorf("Schemes() lists %q, Open has no driver for it", s)
		}
		if err := CheckScheme(s + "://x"); err != nil {
			t.Errorf("CheckScheme(%s://x): %v", s, err)
		}
	}
	if err := CheckScheme("mysq://u:topsecret@h/db"); err == nil || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("CheckScheme(mysq://...) = %v", err)
	}
}

// BenchmarkClockWall is the cost per punch of writing a time as the wall
// clock of a zone, against UTC as before hr.timezone.
func BenchmarkClockWall(b *testing.B) {
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2025, 12, 1, 7, 58, 0, 0, hcm)
	for _, c := range []struct {
		name  string
		clock Clock
	}{{"utc", NaiveIn(time.UTC)}, {"hcm", NaiveIn(hcm)}} {
		b.Run(c.name, func(b *testing.B) {
			var dst []byte
			for i := range b.N {
				dst = c.clock.Wall(t0.Add(time.Duration(i)*time.Second)).AppendFormat(dst[:0], TimeLayout)
			}
		})
	}
}
