package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/sijms/go-ora/v2/network"
	"modernc.org/sqlite"
)

// Kind is what an error from a database means for the caller.
type Kind int

const (
	// Other errors are permanent and unexplained: report them as they are.
	Other Kind = iota
	// Transient errors (lost connection, deadlock, serialization failure,
	// busy database) may succeed when the transaction is run again.
	Transient
	// MissingTable: the table (or view) does not exist.
	MissingTable
	// MissingColumn: a column does not exist.
	MissingColumn
	// AccessDenied: bad credentials or missing privileges.
	AccessDenied
)

func (k Kind) String() string {
	return [...]string{"error", "transient error", "missing table", "missing column", "access denied"}[k]
}

// Classify says what kind of error err is, by driver error codes.
func Classify(err error) Kind {
	if err == nil {
		return Other
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return Other // the caller gave up; do not retry
	}
	var (
		my  *mysql.MySQLError
		pg  *pgconn.PgError
		ms  mssql.Error
		ora *network.OracleError
		lit *sqlite.Error
		ne  net.Error
	)
	switch {
	case errors.As(err, &my):
		switch my.Number {
		case 1213, 1205, 2006, 2013, 1927, 1053: // deadlock, lock wait timeout, gone away, lost, killed, shutdown
			return Transient
		case 1146:
			return MissingTable
		case 1054:
			return MissingColumn
		case 1044, 1045, 1142, 1143, 1698:
			return AccessDenied
		}
		return Other
	case errors.As(err, &pg):
		switch {
		case pg.Code == "40001" || pg.Code == "40P01" || pg.Code == "55P03" || strings.HasPrefix(pg.Code, "08") || pg.Code == "57P01":
			return Transient
		case pg.Code == "42P01":
			return MissingTable
		case pg.Code == "42703":
			return MissingColumn
		case pg.Code == "28000" || pg.Code == "28P01" || pg.Code == "42501":
			return AccessDenied
		}
		return Other
	case errors.As(err, &ms):
		switch ms.Number {
		case 1205, 1222, 40613, 40501, 40197, 49918, 49919, 49920: // deadlock victim, lock timeout, Azure throttling/failover
			return Transient
		case 208:
			return MissingTable
		case 207:
			return MissingColumn
		case 18456, 229, 230:
			return AccessDenied
		}
		return Other
	case errors.As(err, &ora):
		switch ora.ErrCode {
		case 60, 8177, 3113, 3114, 3135, 12170, 12541, 12571, 25408: // deadlock, serialization, lost connection
			return Transient
		case 942:
			return MissingTable
		case 904:
			return MissingColumn
		case 1017, 1031, 1045:
			return AccessDenied
		}
		return Other
	case errors.As(err, &lit):
		switch lit.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return Transient
		}
		return classifySQLiteText(lit.Error())
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNABORTED) ||
		errors.Is(err, syscall.EPIPE) || errors.As(err, &ne) {
		return Transient
	}
	return Other
}

func classifySQLiteText(msg string) Kind {
	switch {
	case strings.Contains(msg, "no such table"):
		return MissingTable
	case strings.Contains(msg, "no such column"), strings.Contains(msg, "has no column named"):
		return MissingColumn
	}
	return Other
}

// IsTransient reports whether running the transaction again may succeed.
func IsTransient(err error) bool { return Classify(err) == Transient }

// conflict marks an error that the caller's own checks found transient
// (a concurrent writer changed the rows between two statements).
type conflict struct{ msg string }

func (c *conflict) Error() string { return c.msg }

// Conflict returns a transient error: another writer interfered and the
// transaction should be run again.
func Conflict(format string, args ...any) error {
	return &conflict{msg: fmt.Sprintf(format, args...)}
}

// Retry runs fn until it succeeds, fails with an error that is not
// transient, or has run attempts times, waiting 100 ms, 200 ms, 400 ms ...
// (at most 5 s) between runs. fn must be safe to run again: one whole
// transaction, not a part of one.
func Retry(ctx context.Context, attempts int, fn func(ctx context.Context) error) error {
	if attempts < 1 {
		attempts = 1
	}
	wait := 100 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(ctx); err == nil {
			return nil
		}
		var c *conflict
		if !IsTransient(err) && !errors.As(err, &c) {
			return err
		}
		if i == attempts-1 {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up retrying: %v)", err, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, 5*time.Second)
	}
	return fmt.Errorf("after %d attempts: %w", attempts, err)
}

// Explain wraps a permanent error with what it means and where: which
// table or column is missing, in which database (URL redacted). table and
// columns are the names the statement used, so that the message can point
// at the configuration.
func (db *DB) Explain(err error, table string, columns ...string) error {
	if err == nil {
		return nil
	}
	switch Classify(err) {
	case MissingTable:
		return fmt.Errorf("table %s does not exist in %s (create it, or let hrsync create it): %w", table, db.URL, err)
	case MissingColumn:
		if col := missingColumn(err.Error(), columns); col != "" {
			return fmt.Errorf("column %s does not exist in table %s in %s (check the column names configured for it): %w", col, table, db.URL, err)
		}
		return fmt.Errorf("a configured column does not exist in table %s in %s (columns used: %s): %w", table, db.URL, strings.Join(columns, ", "), err)
	case AccessDenied:
		return fmt.Errorf("access denied to %s (check the user, password and grants): %w", db.URL, err)
	}
	return fmt.Errorf("%s in %s: %w", table, db.URL, err)
}

var quotedName = regexp.MustCompile("[\"'`\\[]?([A-Za-z_][A-Za-z0-9_.]*)[\"'`\\]]?")

// missingColumn picks, from the columns a statement used, the one the
// driver's message names.
func missingColumn(msg string, columns []string) string {
	lower := strings.ToLower(msg)
	for _, m := range quotedName.FindAllStringSubmatch(msg, -1) {
		name := strings.ToLower(m[1])
		if i := strings.LastIndex(name, "."); i >= 0 {
			name = name[i+1:]
		}
		for _, c := range columns {
			if strings.ToLower(c) == name {
				return c
			}
		}
	}
	for _, c := range columns {
		if strings.Contains(lower, strings.ToLower(c)) {
			return c
		}
	}
	return ""
}
