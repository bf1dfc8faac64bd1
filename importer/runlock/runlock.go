// Package runlock keeps two scheduled runs of the same config from working
// at once. With the embedded state it uses an operating-system file lock,
// with a state database server the server's own lock (DB); either way a
// killed run never leaves a stale lock behind: the OS drops the file lock
// with the process, the server the session's lock with its connection.
package runlock

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrBusy is returned when the lock is still held after the wait.
var ErrBusy = errors.New("another hrsync run holds the lock")

// Lock is a held lock; Release it when the run ends.
type Lock struct {
	f    *os.File
	db   *DB // a database lock: held by conn
	conn *sql.Conn
}

// Acquire takes the lock file at path, retrying until wait has passed.
func Acquire(ctx context.Context, path string, wait time.Duration) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) // owner-only, as all of the data folder
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			host, _ := os.Hostname()
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d on %s since %s\n", os.Getpid(), host, time.Now().Format(time.RFC3339))), 0)
			return &Lock{f: f}, nil
		}
		if time.Now().After(deadline) {
			holder := readHolder(path)
			f.Close()
			return nil, fmt.Errorf("%w (%s; waited %s): %s", ErrBusy, holder, wait, path)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func readHolder(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return "holder unknown"
	}
	return strings.TrimSpace(string(b))
}

// Release drops the lock.
func (l *Lock) Release() error {
	if l != nil && l.db != nil {
		return l.releaseDB()
	}
	if l == nil || l.f == nil {
		return nil
	}
	unlock(l.f)
	err := l.f.Close()
	l.f = nil
	return err
}
