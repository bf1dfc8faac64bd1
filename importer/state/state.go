// Package state is hrsync's own memory between runs: the run history, the
// watermarks of incremental sources, the ledger of pulled files, the
// outbox, the console's accounts and resync's changes. It is kept in one
// embedded SQLite file in the data folder, or in a database server
// (PostgreSQL, MySQL/MariaDB, SQL Server) so that a worker without a disk
// of its own (a Kubernetes CronJob) remembers as one with a disk does.
// Every statement is written once for all four dialects (sqldb.Names), and
// the tables are made by versioned migrations (migrate.go).
package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// Store is an open state database.
type Store struct {
	// DB runs the state's statements, written once for every dialect
	// (sqldb.Names.Rebind: ? placeholders, {table} names, "quoted" columns).
	DB *sqldb.Bound
	// SQL is the pool under DB.
	SQL *sql.DB
	// Path is the embedded SQLite file; "" for a database server.
	Path string
	// Where names the state in messages: the path, or the URL with its
	// password hidden and the schema or prefix.
	Where string
	// Key is what the run lock of a server state locks: the database,
	// schema and prefix the tables live under (see Options).
	Key string
}

// Options say where the state lives.
type Options struct {
	// Path is the embedded SQLite file, used when URL is "".
	Path string
	// URL is a database server (postgres://, mysql:// or mariadb://,
	// sqlserver://); Cred replaces its user and password when set.
	URL  string
	Cred sqldb.Credentials
	// Schema (PostgreSQL, SQL Server) and Prefix place the tables.
	Schema, Prefix string
	// NoMigrate opens without applying pending migrations (state check).
	NoMigrate bool
}

// Server reports whether the state is on a database server, not the
// embedded file.
func (o Options) Server() bool { return o.URL != "" }

// Server reports whether the store is on a database server.
func (s *Store) Server() bool { return s.Path == "" }

// Open opens (creating if needed) the embedded state database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	return OpenWith(ctx, Options{Path: path})
}

// OpenWith opens the state the options name and applies its pending
// migrations (unless NoMigrate). A state that a newer hrsync migrated
// (versions this one does not know) is refused: ErrAhead.
func OpenWith(ctx context.Context, o Options) (*Store, error) {
	s, err := connect(ctx, o)
	if err != nil {
		return nil, err
	}
	if !o.NoMigrate {
		if _, err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func connect(ctx context.Context, o Options) (*Store, error) {
	if !o.Server() {
		return openFile(o)
	}
	db, err := sqldb.Open(ctx, o.URL, o.Cred)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	switch db.Dialect.Name() {
	case sqldb.Postgres, sqldb.MySQL, sqldb.SQLServer:
	default:
		db.Close()
		return nil, fmt.Errorf("state %s: the state lives in SQLite (the default file), PostgreSQL, MySQL/MariaDB or SQL Server", db.URL)
	}
	names := sqldb.Names{Dialect: db.Dialect, Schema: o.Schema, Prefix: o.Prefix}
	s := &Store{DB: sqldb.Bind(db.DB.DB, names), SQL: db.DB.DB, Where: where(db.URL, o)}
	var database string
	q := map[string]string{sqldb.Postgres: `SELECT current_database()`, sqldb.MySQL: `SELECT DATABASE()`, sqldb.SQLServer: `SELECT DB_NAME()`}
	if err := s.SQL.QueryRowContext(ctx, q[db.Dialect.Name()]).Scan(&database); err != nil {
		db.Close()
		return nil, fmt.Errorf("state %s: %w", s.Where, err)
	}
	// The lock is per set of tables, as the file lock is per state file:
	// two configs sharing the tables share the watermarks and the outbox,
	// so they must never run at once.
	s.Key = "hrsync " + database + "/" + o.Schema + "/" + o.Prefix
	return s, nil
}

func where(url string, o Options) string {
	w := url
	if o.Schema != "" {
		w += " schema " + o.Schema
	}
	if o.Prefix != "" {
		w += " table prefix " + o.Prefix
	}
	return w
}

func openFile(o Options) (*Store, error) {
	path := o.Path
	// Owner-only whatever the umask (it holds employee ids, punch times,
	// outbox payloads): SQLite gives its -wal and -shm files the database
	// file's mode, so creating that one 0600 first is enough.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
		f.Close()
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	d, _ := sqldb.DialectFor(sqldb.SQLite)
	return &Store{DB: sqldb.Bind(db, sqldb.Names{Dialect: d, Prefix: o.Prefix}), SQL: db, Path: path, Where: path, Key: path}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.SQL.Close() }

const stamp = "2006-01-02T15:04:05.000Z07:00"

// Run is one recorded invocation of hrsync.
type Run struct {
	ID           int64            `json:"id"`
	Command      string           `json:"command"`
	Args         string           `json:"args"`
	User         string           `json:"user"`
	Host         string           `json:"host"`
	ConfigPath   string           `json:"config_path"`
	ConfigSHA256 string           `json:"config_sha256"`
	StartedAt    time.Time        `json:"started_at"`
	FinishedAt   *time.Time       `json:"finished_at,omitempty"`
	DurationMS   int64            `json:"duration_ms"`
	ExitCode     *int             `json:"exit_code,omitempty"`
	Counts       map[string]int64 `json:"counts"`
	ReportPath   string           `json:"report_path"`
	Error        string           `json:"error,omitempty"`
}

// StartRun records the start of a run and returns its id.
func (s *Store) StartRun(ctx context.Context, r Run) (int64, error) {
	id, err := s.DB.InsertID(ctx, `INSERT INTO {runs}(command,args,"user",host,config_path,config_sha256,started_at,counts,report_path,error)
		VALUES(?,?,?,?,?,?,?,'{}',?,'')`, "id", r.Command, r.Args, r.User, r.Host, r.ConfigPath, r.ConfigSHA256,
		r.StartedAt.UTC().Format(stamp), r.ReportPath)
	if err != nil {
		return 0, fmt.Errorf("record run: %w", err)
	}
	return id, nil
}

// FinishRun records how a run ended.
func (s *Store) FinishRun(ctx context.Context, id int64, finished time.Time, exitCode int, counts map[string]int64, reportPath, runErr string) error {
	c, _ := json.Marshal(counts)
	if counts == nil {
		c = []byte("{}")
	}
	var started string
	if err := s.DB.QueryRowContext(ctx, `SELECT started_at FROM {runs} WHERE id=?`, id).Scan(&started); err != nil {
		return fmt.Errorf("record run end: %w", err)
	}
	// The duration from the stored start, in Go: no date arithmetic that
	// differs by dialect.
	var ms int64
	if t, err := time.Parse(stamp, started); err == nil {
		ms = finished.Sub(t).Round(time.Millisecond).Milliseconds()
	}
	_, err := s.DB.ExecContext(ctx, `UPDATE {runs} SET finished_at=?, duration_ms=?, exit_code=?, counts=?, report_path=?, error=? WHERE id=?`,
		finished.UTC().Format(stamp), ms, exitCode, string(c), reportPath, runErr, id)
	if err != nil {
		return fmt.Errorf("record run end: %w", err)
	}
	return nil
}

// Runs lists the most recent runs, newest first.
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	return s.queryRuns(ctx, `ORDER BY id DESC`+s.DB.Limit(), limit)
}

// GetRun returns one run.
func (s *Store) GetRun(ctx context.Context, id int64) (Run, error) {
	rs, err := s.queryRuns(ctx, `WHERE id=?`, id)
	if err != nil {
		return Run{}, err
	}
	if len(rs) == 0 {
		return Run{}, fmt.Errorf("no run with id %d", id)
	}
	return rs[0], nil
}

func (s *Store) queryRuns(ctx context.Context, tail string, arg any) ([]Run, error) {
	return s.queryRunsArgs(ctx, tail, arg)
}

func (s *Store) queryRunsArgs(ctx context.Context, tail string, args ...any) ([]Run, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT id,command,args,"user",host,config_path,config_sha256,started_at,
		finished_at,COALESCE(duration_ms,0),exit_code,counts,report_path,error FROM {runs} `+tail, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started string
		var finished sql.NullString
		var exit sql.NullInt64
		var counts string
		if err := rows.Scan(&r.ID, &r.Command, &r.Args, &r.User, &r.Host, &r.ConfigPath, &r.ConfigSHA256, &started,
			&finished, &r.DurationMS, &exit, &counts, &r.ReportPath, &r.Error); err != nil {
			return nil, err
		}
		r.StartedAt, _ = time.Parse(stamp, started)
		if finished.Valid {
			t, _ := time.Parse(stamp, finished.String)
			r.FinishedAt = &t
		}
		if exit.Valid {
			c := int(exit.Int64)
			r.ExitCode = &c
		}
		_ = json.Unmarshal([]byte(counts), &r.Counts)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PruneRuns deletes runs that started before the cutoff. reports are the
// report paths of the deleted runs that no kept run names, for the caller
// to delete with them.
func (s *Store) PruneRuns(ctx context.Context, before time.Time) (n int64, reports []string, err error) {
	cutoff := before.UTC().Format(stamp)
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT report_path FROM {runs} WHERE started_at < ? AND report_path <> ''
		AND report_path NOT IN (SELECT report_path FROM {runs} WHERE started_at >= ?)`, cutoff, cutoff)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return 0, nil, err
		}
		reports = append(reports, p)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	rows.Close()
	res, err := s.DB.ExecContext(ctx, `DELETE FROM {runs} WHERE started_at < ?`, cutoff)
	if err != nil {
		return 0, nil, err
	}
	n, err = res.RowsAffected()
	return n, reports, err
}

// Watermark returns the stored watermark of a source ("" when none).
func (s *Store) Watermark(ctx context.Context, source string) (string, error) {
	var v string
	err := s.DB.QueryRowContext(ctx, `SELECT value FROM {watermarks} WHERE source=?`, source).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetWatermark stores a source's watermark. Callers store it only after the
// rows it covers are committed in the sink.
func (s *Store) SetWatermark(ctx context.Context, source, value string) error {
	_, err := s.DB.ExecContext(ctx, s.DB.Upsert("watermarks", []string{"source"}, []string{"source", "value", "updated_at"},
		[]string{"value", "updated_at"}), source, value, time.Now().UTC().Format(stamp))
	return err
}
