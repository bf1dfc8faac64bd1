// Package sqldb opens the SQL databases hrsync reads from and writes to,
// chosen by URL scheme, and holds what differs between them (Dialect),
// error classification and retries. Every driver is pure Go.
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	mssql "github.com/microsoft/go-mssqldb"
	goora "github.com/sijms/go-ora/v2"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Credentials override the user and password written in a database URL,
// so that secrets can come from the environment or a file instead.
type Credentials struct {
	User     string
	Password string
}

// DB is an open database with its dialect.
type DB struct {
	*sqlx.DB
	Dialect Dialect
	// URL is the database URL with passwords redacted, for messages.
	URL string
}

// PingTimeout bounds how long Open waits for the database to answer.
const PingTimeout = 15 * time.Second

// opener turns a parsed URL and credentials into a database handle.
type opener struct {
	dialect string
	open    func(raw string, u *url.URL, cred Credentials) (*sql.DB, error)
}

// openers is the driver registry, keyed by URL scheme.
var openers = map[string]opener{
	"sqlite":     {SQLite, openSQLite},
	"mysql":      {MySQL, openMySQL},
	"mariadb":    {MySQL, openMySQL},
	"postgres":   {Postgres, openPostgres},
	"postgresql": {Postgres, openPostgres},
	"sqlserver":  {SQLServer, openSQLServer},
	"oracle":     {Oracle, openOracle},
}

// Schemes lists the URL schemes Open accepts.
func Schemes() []string {
	return []string{"sqlite", "mysql", "mariadb", "postgres", "postgresql", "sqlserver", "oracle"}
}

// CheckScheme tests a database URL's scheme as Open does, without
// connecting. Config calls it, so that config check rejects a URL a run
// would, and the schemes are declared once, here. The error never holds
// the URL (nor so its password).
func CheckScheme(rawURL string) error {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return fmt.Errorf("want scheme://..., one of %s", strings.Join(Schemes(), ", "))
	}
	if _, ok := openers[strings.ToLower(scheme)]; !ok {
		return fmt.Errorf("unknown scheme %q, want one of %s", scheme, strings.Join(Schemes(), ", "))
	}
	return nil
}

// DialectOf names the dialect of a database URL by its scheme (one of the
// dialect constants); false when the scheme is not a database's (http://).
func DialectOf(rawURL string) (string, bool) {
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "", false
	}
	o, ok := openers[strings.ToLower(scheme)]
	return o.dialect, ok
}

// Open connects to the database at rawURL and checks that it answers.
// Non-empty fields of cred replace the user and password in the URL.
//
//	sqlite://hr.db  sqlite:///var/lib/hr.db  sqlite://C:/hr/hr.db  sqlite://:memory:
//	mysql://user:pass@host:3306/db?tls=true      (MariaDB too)
//	postgres://user:pass@host:5432/db?sslmode=disable
//	sqlserver://user:pass@host:1433?database=db  (go-mssqldb URL form)
//	oracle://user:pass@host:1521/service         (go-ora URL form)
//
// Errors never contain the password.
func Open(ctx context.Context, rawURL string, cred Credentials) (*DB, error) {
	redacted := Redact(rawURL)
	if err := CheckScheme(rawURL); err != nil {
		return nil, fmt.Errorf("database URL %q: %w", redacted, err)
	}
	scheme, _, _ := strings.Cut(rawURL, "://")
	o := openers[strings.ToLower(scheme)]
	var u *url.URL
	if o.dialect != SQLite { // SQLite paths are not URLs (C:\, spaces)
		var err error
		if u, err = url.Parse(rawURL); err != nil {
			return nil, fmt.Errorf("database URL %q: %w", redacted, scrub(err, secretsOf(rawURL, cred)...))
		}
	}
	sqlDB, err := o.open(rawURL, u, cred)
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", redacted, scrub(err, secretsOf(rawURL, cred)...))
	}
	d, _ := DialectFor(o.dialect)
	db := &DB{DB: sqlx.NewDb(sqlDB, o.dialect), Dialect: d, URL: redacted}
	pingCtx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		if Classify(err) == AccessDenied {
			return nil, fmt.Errorf("connect to %s: access denied (check the user and password): %w", redacted, scrub(err, secretsOf(rawURL, cred)...))
		}
		return nil, fmt.Errorf("connect to %s: %w", redacted, scrub(err, secretsOf(rawURL, cred)...))
	}
	return db, nil
}

// secretsOf lists the passwords that must not appear in messages.
func secretsOf(rawURL string, cred Credentials) []string {
	secrets := []string{cred.Password}
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p, url.PathEscape(p), url.QueryEscape(p))
		}
	}
	return secrets
}

// userPass applies the credentials over what the URL says.
func userPass(u *url.URL, cred Credentials) (user, pass string) {
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	if cred.User != "" {
		user = cred.User
	}
	if cred.Password != "" {
		pass = cred.Password
	}
	return user, pass
}

// SQLitePragmas are set on every SQLite connection: wait for a busy
// database instead of failing, write-ahead log so readers never block the
// writer, NORMAL sync (safe with WAL; a power cut can lose the last
// commits, never corrupt), and a page cache of 8 MiB instead of 2 MiB.
// A 64 MiB cache helps only an index that time-ordered input writes all
// over, such as the opt-in (employee_id, punch_time) one (1M punches:
// 24 → 17.7 CPU-s), and it costs 64 MiB of resident memory on every large
// import; hr.url can still set _pragma=cache_size(...) for that case.
var SQLitePragmas = []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "cache_size(-8192)"}

// SQLiteDSN turns sqlite://path[?query] into a modernc.org/sqlite DSN.
func SQLiteDSN(rawURL string) (string, error) {
	rest := rawURL[len("sqlite://"):]
	path, query, _ := strings.Cut(rest, "?")
	// sqlite:///C:/x.db → C:/x.db
	if len(path) >= 4 && path[0] == '/' && path[2] == ':' && (path[3] == '/' || path[3] == '\\') {
		path = path[1:]
	}
	if path == "" {
		return "", fmt.Errorf("no file path after sqlite:// (use sqlite://hr.db or sqlite://:memory:)")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Errorf("query %q: %w", query, err)
	}
	userSet := map[string]bool{}
	for _, p := range q["_pragma"] {
		name, _, _ := strings.Cut(p, "(")
		userSet[strings.ToLower(strings.TrimSpace(name))] = true
	}
	for _, p := range SQLitePragmas {
		if name, _, _ := strings.Cut(p, "("); !userSet[name] { // the URL's own setting wins
			q.Add("_pragma", p)
		}
	}
	if !q.Has("_txlock") {
		// Take the write lock at BEGIN: a deferred transaction that
		// upgrades later can fail with SQLITE_BUSY at once, busy_timeout
		// or not.
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode(), nil
}

func openSQLite(raw string, _ *url.URL, _ Credentials) (*sql.DB, error) {
	dsn, err := SQLiteDSN(raw)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	// SQLite has one writer at a time; one connection avoids SQLITE_BUSY
	// between our own connections and keeps :memory: one database.
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// MySQLConfig turns mysql://user:pass@host:port/db?params into a driver
// configuration. Times are read and written as UTC.
func MySQLConfig(u *url.URL, cred Credentials) (*mysql.Config, error) {
	host := u.Host
	if host == "" {
		host = "127.0.0.1"
	}
	if u.Port() == "" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), "3306")
	}
	// Parse the non-secret part with the driver's own parser, so that its
	// options (tls, charset, timeout, ...) work in the query.
	dsn := "tcp(" + host + ")/" + strings.TrimPrefix(u.Path, "/")
	if u.RawQuery != "" {
		dsn += "?" + u.RawQuery
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Passwd = userPass(u, cred)
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	// Sessions in UTC so that NOW() and TIMESTAMP columns agree with us.
	cfg.Params["time_zone"] = "'+00:00'"
	return cfg, nil
}

func openMySQL(_ string, u *url.URL, cred Credentials) (*sql.DB, error) {
	cfg, err := MySQLConfig(u, cred)
	if err != nil {
		return nil, err
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
}

func openPostgres(raw string, u *url.URL, cred Credentials) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return nil, err
	}
	if cred.User != "" {
		cfg.User = cred.User
	}
	if cred.Password != "" {
		cfg.Password = cred.Password
	}
	return stdlib.OpenDB(*cfg), nil
}

// withCredentials returns the URL with the credentials applied.
func withCredentials(u *url.URL, cred Credentials) string {
	user, pass := userPass(u, cred)
	c := *u
	switch {
	case pass != "":
		c.User = url.UserPassword(user, pass)
	case user != "":
		c.User = url.User(user)
	}
	return c.String()
}

func openSQLServer(_ string, u *url.URL, cred Credentials) (*sql.DB, error) {
	connector, err := mssql.NewConnector(withCredentials(u, cred))
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
}

func openOracle(_ string, u *url.URL, cred Credentials) (*sql.DB, error) {
	return sql.OpenDB(goora.NewConnector(withCredentials(u, cred))), nil
}
