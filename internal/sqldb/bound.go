package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Querier runs statements: *sql.DB, *sql.Tx, *sql.Conn, or a Bound.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Names places a set of tables (hrsync's own state) in a database: a
// schema (PostgreSQL, SQL Server; "" for the connection's default) and a
// prefix put before every table and index name.
type Names struct {
	Dialect Dialect
	Schema  string
	Prefix  string
}

// Table is the table's qualified, quoted name.
func (n Names) Table(name string) string {
	t := n.Dialect.quotePart(n.Prefix + name)
	if n.Schema != "" {
		return n.Dialect.quotePart(n.Schema) + "." + t
	}
	return t
}

// Index is an index's quoted name, prefixed but not qualified (PostgreSQL
// puts it in its table's schema, where names are shared by every prefix).
func (n Names) Index(name string) string { return n.Dialect.quotePart(n.Prefix + name) }

// Rebind turns a statement written once for every dialect into this one's:
//
//	?        the dialect's next placeholder ($1, @p1, ...)
//	{name}   the table name (Table)
//	{=name}  the index name (Index)
//	"col"    the column quoted as the dialect quotes (backticks on MySQL)
//
// Text between single quotes is kept as written.
func (n Names) Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	arg := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '\'':
			j := strings.IndexByte(q[i+1:], '\'')
			if j < 0 {
				b.WriteString(q[i:])
				return b.String()
			}
			b.WriteString(q[i : i+j+2])
			i += j + 1
		case '?':
			arg++
			b.WriteString(n.Dialect.Placeholder(arg))
		case '{':
			j := strings.IndexByte(q[i:], '}')
			if j < 0 {
				b.WriteByte(c)
				continue
			}
			name := q[i+1 : i+j]
			if idx, ok := strings.CutPrefix(name, "="); ok {
				b.WriteString(n.Index(idx))
			} else {
				b.WriteString(n.Table(name))
			}
			i += j
		case '"':
			j := strings.IndexByte(q[i+1:], '"')
			if j < 0 {
				b.WriteByte(c)
				continue
			}
			b.WriteString(n.Dialect.quotePart(q[i+1 : i+1+j]))
			i += j + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Limit is the tail that keeps the first ? rows of an ordered query.
func (n Names) Limit() string {
	if n.Dialect.name == SQLServer {
		return " OFFSET 0 ROWS FETCH NEXT ? ROWS ONLY"
	}
	return " LIMIT ?"
}

// Upsert is the statement that inserts cols (one ? each, in order) into
// table, or, when a row with the same keys is there, sets update from the
// new values.
func (n Names) Upsert(table string, keys, cols, update []string) string {
	q := func(cs []string) []string {
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = `"` + c + `"`
		}
		return out
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",")
	insert := "INSERT INTO {" + table + "}(" + strings.Join(q(cols), ",") + ") VALUES(" + marks + ")"
	var set []string
	switch n.Dialect.name {
	case MySQL:
		for _, c := range q(update) {
			set = append(set, c+"=VALUES("+c+")")
		}
		return insert + " ON DUPLICATE KEY UPDATE " + strings.Join(set, ",")
	case SQLServer:
		var src, on, ins []string
		for _, c := range q(cols) {
			src, ins = append(src, "? AS "+c), append(ins, "s."+c)
		}
		for _, k := range q(keys) {
			on = append(on, "d."+k+"=s."+k)
		}
		for _, c := range q(update) {
			set = append(set, "d."+c+"=s."+c)
		}
		return "MERGE INTO {" + table + "} WITH (HOLDLOCK) AS d USING (SELECT " + strings.Join(src, ",") + ") AS s ON " +
			strings.Join(on, " AND ") + " WHEN MATCHED THEN UPDATE SET " + strings.Join(set, ",") +
			" WHEN NOT MATCHED THEN INSERT (" + strings.Join(q(cols), ",") + ") VALUES (" + strings.Join(ins, ",") + ");"
	default:
		for _, c := range q(update) {
			set = append(set, c+"=excluded."+c)
		}
		return insert + " ON CONFLICT(" + strings.Join(q(keys), ",") + ") DO UPDATE SET " + strings.Join(set, ",")
	}
}

// InsertIDSQL is insert (INSERT INTO ... VALUES(...)) made to return the new
// row's id column: RETURNING, or OUTPUT INSERTED before VALUES on SQL
// Server; MySQL's stays as it is (its id comes from LastInsertId).
func (n Names) InsertIDSQL(insert, id string) string {
	switch n.Dialect.name {
	case MySQL:
		return insert
	case SQLServer:
		i := strings.Index(insert, " VALUES")
		if i < 0 {
			return insert
		}
		return insert[:i] + " OUTPUT INSERTED." + n.Dialect.quotePart(id) + insert[i:]
	default:
		return insert + " RETURNING " + `"` + id + `"`
	}
}

// Bound runs statements written for every dialect (see Rebind) on one
// handle, with the names of one set of tables.
type Bound struct {
	Names
	Q Querier
}

// Bind is q with the names n.
func Bind(q Querier, n Names) *Bound { return &Bound{Names: n, Q: q} }

// ExecContext runs the rebound statement.
func (b *Bound) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return b.Q.ExecContext(ctx, b.Rebind(query), args...)
}

// QueryContext runs the rebound query.
func (b *Bound) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return b.Q.QueryContext(ctx, b.Rebind(query), args...)
}

// QueryRowContext runs the rebound query for one row.
func (b *Bound) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return b.Q.QueryRowContext(ctx, b.Rebind(query), args...)
}

// PrepareContext prepares the rebound statement.
func (b *Bound) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	p, ok := b.Q.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	})
	if !ok {
		return nil, fmt.Errorf("cannot prepare on %T", b.Q)
	}
	return p.PrepareContext(ctx, b.Rebind(query))
}

// InsertID runs insert (see InsertIDSQL) and returns the id of its row.
func (b *Bound) InsertID(ctx context.Context, insert, id string, args ...any) (int64, error) {
	if b.Dialect.name == MySQL {
		res, err := b.ExecContext(ctx, insert, args...)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	var n int64
	err := b.QueryRowContext(ctx, b.InsertIDSQL(insert, id), args...).Scan(&n)
	return n, err
}

// Tx is a transaction of a Bound.
type Tx struct {
	*Bound
	tx *sql.Tx
}

// ErrNoTx is returned by Begin on a handle that cannot begin one (a Tx).
var ErrNoTx = errors.New("this handle cannot begin a transaction")

// Begin starts a transaction with the same names.
func (b *Bound) Begin(ctx context.Context) (*Tx, error) {
	bt, ok := b.Q.(interface {
		BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
	})
	if !ok {
		return nil, ErrNoTx
	}
	tx, err := bt.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{Bound: &Bound{Names: b.Names, Q: tx}, tx: tx}, nil
}

// Commit commits the transaction.
func (t *Tx) Commit() error { return t.tx.Commit() }

// Rollback rolls it back; after Commit it does nothing.
func (t *Tx) Rollback() error { return t.tx.Rollback() }

// LockKey is a stable 63-bit number for name, for PostgreSQL's advisory
// locks (FNV-1a).
func LockKey(name string) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return int64(h >> 1)
}

// LockName is name fit for MySQL's GET_LOCK (at most 64 characters).
func LockName(name string) string {
	if len(name) <= 64 {
		return name
	}
	return name[:44] + "~" + strconv.FormatUint(uint64(LockKey(name)), 16)
}
