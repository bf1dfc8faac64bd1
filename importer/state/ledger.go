package state

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/hrsync/hrsync/sources/fetch"
)

// Ledger is the record of pulled files; it implements fetch.Ledger.
type Ledger struct{ s *Store }

// Ledger returns the pulled-file ledger.
func (s *Store) Ledger() Ledger { return Ledger{s} }

// Seen reports whether this exact version (path, size, modification time) of
// a remote file was already pulled for the source.
func (l Ledger) Seen(ctx context.Context, source string, f fetch.RemoteFile) (bool, error) {
	var one int
	err := l.s.DB.QueryRowContext(ctx, `SELECT 1 FROM pulled_files WHERE source=? AND path=? AND size=? AND mod_time=?`,
		source, f.Path, f.Size, f.ModTime.UTC().Format(time.RFC3339Nano)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Record notes a file safely pulled into the inbox.
func (l Ledger) Record(ctx context.Context, source string, f fetch.RemoteFile, sha256hex, localPath string) error {
	_, err := l.s.DB.ExecContext(ctx, `INSERT OR REPLACE INTO pulled_files(source,path,size,mod_time,sha256,local_path,pulled_at)
		VALUES(?,?,?,?,?,?,?)`, source, f.Path, f.Size, f.ModTime.UTC().Format(time.RFC3339Nano), sha256hex, localPath,
		time.Now().UTC().Format(stamp))
	return err
}
