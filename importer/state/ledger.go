package state

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"time"

	"github.com/hrsync/hrsync/sources/fetch"
)

// Ledger is the record of pulled files; it implements fetch.Ledger.
type Ledger struct{ s *Store }

// Ledger returns the pulled-file ledger.
func (s *Store) Ledger() Ledger { return Ledger{s} }

// Seen reports whether this exact version (path, size, modification time) of
// a remote file was already pulled for the source and is still on its way:
// settled by an import (archived or moved to error/), or waiting in the
// inbox. A pulled copy that is gone unsettled (a worker whose data folder
// did not outlive the run) is not seen, so the next pull fetches it again.
func (l Ledger) Seen(ctx context.Context, source string, f fetch.RemoteFile) (bool, error) {
	var local string
	var settled sql.NullString
	err := l.s.DB.QueryRowContext(ctx, `SELECT local_path, settled_at FROM {pulled_files} WHERE source=? AND path=? AND size=? AND mod_time=?`,
		source, f.Path, f.Size, f.ModTime.UTC().Format(time.RFC3339Nano)).Scan(&local, &settled)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if settled.Valid {
		return true, nil
	}
	_, statErr := os.Stat(local)
	return statErr == nil, nil
}

// Record notes a file safely pulled into the inbox, not yet settled.
func (l Ledger) Record(ctx context.Context, source string, f fetch.RemoteFile, sha256hex, localPath string) error {
	_, err := l.s.DB.ExecContext(ctx, l.s.DB.Upsert("pulled_files", []string{"source", "path", "size", "mod_time"},
		[]string{"source", "path", "size", "mod_time", "sha256", "local_path", "pulled_at", "settled_at"},
		[]string{"sha256", "local_path", "pulled_at", "settled_at"}),
		source, f.Path, f.Size, f.ModTime.UTC().Format(time.RFC3339Nano), sha256hex, localPath,
		time.Now().UTC().Format(stamp), nil)
	return err
}

// Settle notes that import moved the inbox file at localPath (to archive/
// or error/): its remote file is not pulled again, whatever becomes of the
// data folder.
func (l Ledger) Settle(ctx context.Context, source, localPath string) error {
	_, err := l.s.DB.ExecContext(ctx, `UPDATE {pulled_files} SET settled_at=? WHERE source=? AND local_path=? AND settled_at IS NULL`,
		time.Now().UTC().Format(stamp), source, localPath)
	return err
}

// Note records an inbox file hrsync wrote itself (a device's or a
// database's pull), so that its import settles it as it does a pulled
// file's: name is its key among the source's files.
func (l Ledger) Note(ctx context.Context, source, name, sha256hex, localPath string) error {
	return l.Record(ctx, source, fetch.RemoteFile{Path: "inbox:" + name, ModTime: time.Unix(0, 0)}, sha256hex, localPath)
}

// Settled reports whether import settled (archived or moved to error/)
// the inbox file at localPath.
func (l Ledger) Settled(ctx context.Context, source, localPath string) (bool, error) {
	var n int
	err := l.s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM {pulled_files} WHERE source=? AND local_path=? AND settled_at IS NOT NULL`,
		source, localPath).Scan(&n)
	return n > 0, err
}

// SettledFiles lists the inbox paths import settled for the source, for
// resync to check that their archived copies are still there.
func (l Ledger) SettledFiles(ctx context.Context, source string) ([]string, error) {
	rows, err := l.s.DB.QueryContext(ctx, `SELECT local_path FROM {pulled_files} WHERE source=? AND settled_at IS NOT NULL`, source)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
