package runlock

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// HolderTable is the table (under the state's names) where the holder of
// a database lock writes who it is, so a refused run can name it.
const HolderTable = "run_lock"

// DB is a lock in a state database server: PostgreSQL's session advisory
// lock, MySQL/MariaDB's GET_LOCK, SQL Server's sp_getapplock owned by the
// session. Each is the server's own and held by one connection, kept apart
// from the pool for as long as the lock is held: when the process dies the
// server ends its session and the lock goes with it, whichever host it ran
// on.
type DB struct {
	SQL   *sql.DB
	Names sqldb.Names
	// Key names what is locked; Where says it in messages (no secrets).
	Key, Where string
	// Holder: write and read the holder row (off for the migration lock,
	// which may run before the table exists).
	Holder bool
}

// Acquire takes the lock, retrying until wait has passed; past it, ErrBusy
// naming the holder's host, pid and run.
func (d DB) Acquire(ctx context.Context, wait time.Duration) (*Lock, error) {
	conn, err := d.SQL.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", d.Where, err)
	}
	deadline := time.Now().Add(wait)
	for {
		ok, err := d.try(ctx, conn)
		if err != nil {
			discard(conn)
			return nil, fmt.Errorf("lock %s: %w", d.Where, err)
		}
		if ok {
			l := &Lock{db: &d, conn: conn}
			if d.Holder {
				host, _ := os.Hostname()
				b := sqldb.Bind(conn, d.Names)
				_, err := b.ExecContext(ctx, d.Names.Upsert(HolderTable, []string{"name"},
					[]string{"name", "host", "pid", "run_id", "since"}, []string{"host", "pid", "run_id", "since"}),
					d.Key, host, os.Getpid(), 0, time.Now().UTC().Format(time.RFC3339))
				if err != nil {
					l.Release()
					return nil, fmt.Errorf("lock %s: writing the holder: %w", d.Where, err)
				}
			}
			return l, nil
		}
		if time.Now().After(deadline) {
			holder := d.holder(ctx)
			discard(conn)
			return nil, fmt.Errorf("%w (%s; waited %s): %s", ErrBusy, holder, wait, d.Where)
		}
		select {
		case <-ctx.Done():
			discard(conn)
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (d DB) try(ctx context.Context, conn *sql.Conn) (bool, error) {
	var got sql.NullInt64
	var err error
	switch d.Names.Dialect.Name() {
	case sqldb.Postgres:
		var b bool
		err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, sqldb.LockKey(d.Key)).Scan(&b)
		return b, err
	case sqldb.MySQL:
		err = conn.QueryRowContext(ctx, `SELECT GET_LOCK(?, 0)`, sqldb.LockName(d.Key)).Scan(&got)
		return got.Valid && got.Int64 == 1, err
	case sqldb.SQLServer:
		err = conn.QueryRowContext(ctx, MSSQLTryLock, d.Key).Scan(&got)
		return got.Valid && got.Int64 >= 0, err
	}
	return false, fmt.Errorf("no database lock for %s", d.Names.Dialect.Name())
}

// MSSQLTryLock takes SQL Server's application lock for the session,
// without waiting: sp_getapplock returns 0 or 1 when granted.
const MSSQLTryLock = `DECLARE @r int; EXEC @r = sp_getapplock @Resource = @p1, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 0; SELECT @r`

// MSSQLUnlock releases it.
const MSSQLUnlock = `EXEC sp_releaseapplock @Resource = @p1, @LockOwner = 'Session'`

func (d DB) unlock(conn *sql.Conn) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	switch d.Names.Dialect.Name() {
	case sqldb.Postgres:
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, sqldb.LockKey(d.Key))
	case sqldb.MySQL:
		_, err = conn.ExecContext(ctx, `SELECT RELEASE_LOCK(?)`, sqldb.LockName(d.Key))
	case sqldb.SQLServer:
		_, err = conn.ExecContext(ctx, MSSQLUnlock, d.Key)
	}
	return err
}

// holder says who holds the lock, from the holder row.
func (d DB) holder(ctx context.Context) string {
	if !d.Holder {
		return "holder unknown"
	}
	var host, since string
	var pid, run int64
	err := sqldb.Bind(d.SQL, d.Names).QueryRowContext(ctx, `SELECT host,pid,run_id,since FROM {`+HolderTable+`} WHERE name=?`, d.Key).
		Scan(&host, &pid, &run, &since)
	if err != nil {
		return "holder unknown"
	}
	if run > 0 {
		return fmt.Sprintf("run %d, pid %d on %s since %s", run, pid, host, since)
	}
	return fmt.Sprintf("pid %d on %s since %s", pid, host, since)
}

// SetRun writes the run the holder is into its row, once the history has
// given it an id; a file lock keeps no run.
func (l *Lock) SetRun(ctx context.Context, id int64) error {
	if l == nil || l.db == nil || !l.db.Holder {
		return nil
	}
	_, err := sqldb.Bind(l.conn, l.db.Names).ExecContext(ctx, `UPDATE {`+HolderTable+`} SET run_id=? WHERE name=?`, id, l.db.Key)
	return err
}

// discard closes the connection for good rather than handing it back to
// the pool, where it would keep a session lock.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

func (l *Lock) releaseDB() error {
	err := l.db.unlock(l.conn)
	if err != nil {
		discard(l.conn)
	} else {
		err = l.conn.Close()
	}
	l.conn, l.db = nil, nil
	if errors.Is(err, sql.ErrConnDone) {
		err = nil
	}
	return err
}
