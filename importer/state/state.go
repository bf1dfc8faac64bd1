// Package state is hrsync's own memory between runs: the run history, the
// watermarks of incremental sources and the ledger of pulled files, kept in
// one embedded SQLite file beside the config.
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

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// Store is an open state database.
type Store struct {
	DB   *sql.DB
	Path string
}

// Open opens (creating if needed) the state database at path.
func Open(ctx context.Context, path string) (*Store, error) {
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
	s := &Store{DB: db, Path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

const schema = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  command TEXT NOT NULL,
  args TEXT NOT NULL DEFAULT '',
  user TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  config_path TEXT NOT NULL DEFAULT '',
  config_sha256 TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT,
  duration_ms INTEGER,
  exit_code INTEGER,
  counts TEXT NOT NULL DEFAULT '{}',
  report_path TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_started ON runs(started_at);
CREATE INDEX IF NOT EXISTS runs_command ON runs(command, id);
CREATE INDEX IF NOT EXISTS runs_exit ON runs(exit_code, id);
CREATE TABLE IF NOT EXISTS watermarks (
  source TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pulled_files (
  source TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mod_time TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  local_path TEXT NOT NULL,
  pulled_at TEXT NOT NULL,
  PRIMARY KEY (source, path, size, mod_time)
);
`

func (s *Store) migrate(ctx context.Context) error {
	_, err := s.DB.ExecContext(ctx, schema+usersSchema+reportsSchema)
	return err
}

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
	res, err := s.DB.ExecContext(ctx, `INSERT INTO runs(command,args,user,host,config_path,config_sha256,started_at,report_path)
		VALUES(?,?,?,?,?,?,?,?)`, r.Command, r.Args, r.User, r.Host, r.ConfigPath, r.ConfigSHA256,
		r.StartedAt.UTC().Format(stamp), r.ReportPath)
	if err != nil {
		return 0, fmt.Errorf("record run: %w", err)
	}
	return res.LastInsertId()
}

// FinishRun records how a run ended.
func (s *Store) FinishRun(ctx context.Context, id int64, finished time.Time, exitCode int, counts map[string]int64, reportPath, runErr string) error {
	c, _ := json.Marshal(counts)
	_, err := s.DB.ExecContext(ctx, `UPDATE runs SET finished_at=?, duration_ms=CAST(ROUND((julianday(?)-julianday(started_at))*86400000) AS INTEGER),
		exit_code=?, counts=?, report_path=?, error=? WHERE id=?`,
		finished.UTC().Format(stamp), finished.UTC().Format(stamp), exitCode, string(c), reportPath, runErr, id)
	if err != nil {
		return fmt.Errorf("record run end: %w", err)
	}
	return nil
}

// Runs lists the most recent runs, newest first.
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	return s.queryRuns(ctx, `ORDER BY id DESC LIMIT ?`, limit)
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
	rows, err := s.DB.QueryContext(ctx, `SELECT id,command,args,user,host,config_path,config_sha256,started_at,
		finished_at,COALESCE(duration_ms,0),exit_code,counts,report_path,error FROM runs `+tail, args...)
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
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT report_path FROM runs WHERE started_at < ? AND report_path <> ''
		AND report_path NOT IN (SELECT report_path FROM runs WHERE started_at >= ?)`, cutoff, cutoff)
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
	res, err := s.DB.ExecContext(ctx, `DELETE FROM runs WHERE started_at < ?`, cutoff)
	if err != nil {
		return 0, nil, err
	}
	n, err = res.RowsAffected()
	return n, reports, err
}

// Watermark returns the stored watermark of a source ("" when none).
func (s *Store) Watermark(ctx context.Context, source string) (string, error) {
	var v string
	err := s.DB.QueryRowContext(ctx, `SELECT value FROM watermarks WHERE source=?`, source).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetWatermark stores a source's watermark. Callers store it only after the
// rows it covers are committed in the sink.
func (s *Store) SetWatermark(ctx context.Context, source, value string) error {
	_, err := s.DB.ExecContext(ctx, `INSERT INTO watermarks(source,value,updated_at) VALUES(?,?,?)
		ON CONFLICT(source) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at`,
		source, value, time.Now().UTC().Format(stamp))
	return err
}
