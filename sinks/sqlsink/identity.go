package sqlsink

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// This file decides the punch identity: whether the direction is part of
// the table's unique key. A table hrsync creates gets it where the key can
// be read back from an existing table (SQLite, MySQL/MariaDB, PostgreSQL);
// an existing table keeps the key it has, so nothing imported under the
// old key is stored twice.

// Identity is the punch identity of the table's unique key
// (sinks.Identifier): everything the engine compares follows it.
func (s *Sink) Identity() mapping.Identity { return s.ident }

// readsKeys: the dialects whose unique keys Open reads from the catalog.
func readsKeys(d sqldb.Dialect) bool {
	switch d.Name() {
	case sqldb.SQLite, sqldb.MySQL, sqldb.Postgres:
		return true
	}
	return false
}

// createWithDirection is whether a table Open creates has the direction in
// its key, and the rule for hr.punches.direction_in_key (CheckTables): true
// needs a direction column and a database whose keys Open reads back.
func createWithDirection(d sqldb.Dialect, p punchColumns, set *bool) (bool, error) {
	if set != nil && !*set {
		return false, nil
	}
	ok := readsKeys(d) && p.has("direction")
	if set != nil && !ok {
		msg := "needs a direction column (punches.columns.direction is empty)"
		if !readsKeys(d) {
			msg = fmt.Sprintf("is not supported on %s: its punch key stays (employee, time, device)", d.Name())
		}
		return false, &setting.Error{Key: "punches.direction_in_key", Msg: msg}
	}
	return ok, nil
}

// readIdentity sets the key and identity from the table's unique indexes:
// the direction is in the identity when a unique index covers exactly the
// key and the direction and none covers the key alone (the stricter one
// would refuse the second of an in and an out).
func (s *Sink) readIdentity(ctx context.Context, set *bool) error {
	if !readsKeys(s.db.Dialect) || !s.st.p.has("direction") {
		s.st.key, s.ident = keyOf(false), mapping.Identity{}
		return nil
	}
	indexes, err := s.uniqueIndexes(ctx)
	if err != nil {
		return fmt.Errorf("read the unique keys of %s: %w", s.st.p.rawTable, s.explainPunches(err))
	}
	names := func(fields []string) []string {
		var out []string
		for _, f := range fields {
			out = append(out, strings.ToLower(s.st.p.raw[slices.Index(s.st.p.fields, f)]))
		}
		slices.Sort(out)
		return out
	}
	plain, withDir := names(keyOf(false)), names(keyOf(true))
	var hasPlain, hasDir bool
	for _, cols := range indexes {
		for i := range cols {
			cols[i] = strings.ToLower(cols[i])
		}
		slices.Sort(cols)
		hasPlain = hasPlain || slices.Equal(cols, plain)
		hasDir = hasDir || slices.Equal(cols, withDir)
	}
	dir := hasDir && !hasPlain
	if set != nil && *set && !dir {
		return &setting.Error{Key: "punches.direction_in_key", Msg: fmt.Sprintf(
			"table %s exists and its unique key does not include %s: add it to the key, or leave the setting out to keep the table's key",
			s.st.p.rawTable, s.st.p.raw[slices.Index(s.st.p.fields, "direction")])}
	}
	s.st.key, s.ident = keyOf(dir), mapping.Identity{Direction: dir}
	return nil
}

// uniqueIndexes lists the columns of each unique index (and primary key)
// of the punch table.
func (s *Sink) uniqueIndexes(ctx context.Context) (map[string][]string, error) {
	schema, table, qualified := strings.Cut(s.st.p.rawTable, ".")
	if !qualified {
		table, schema = schema, ""
	}
	var q string
	var args []any
	switch s.db.Dialect.Name() {
	case sqldb.SQLite:
		if schema == "" {
			schema = "main"
		}
		q = `SELECT il.name, ii.name FROM pragma_index_list(?, ?) AS il, pragma_index_info(il.name, ?) AS ii WHERE il."unique" = 1`
		args = []any{table, schema, schema}
	case sqldb.MySQL:
		q = `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
			WHERE TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ? AND NON_UNIQUE = 0`
		args = []any{schema, table}
	case sqldb.Postgres:
		q = `SELECT i.indexrelid::regclass::text, a.attname FROM pg_index i
			JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			WHERE i.indrelid = to_regclass($1) AND i.indisunique`
		args = []any{s.st.p.table}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var index, col string
		if err := rows.Scan(&index, &col); err != nil {
			return nil, err
		}
		out[index] = append(out[index], col)
	}
	return out, rows.Err()
}

// NewTableIdentity is the identity of the punch table Open would create for
// url and t, for a dry run before the table exists; the zero Identity when
// the settings are refused (config check reports them).
func NewTableIdentity(url string, t PunchesTable) mapping.Identity {
	name, ok := sqldb.DialectOf(url)
	if !ok {
		return mapping.Identity{}
	}
	d, err := sqldb.DialectFor(name)
	if err != nil {
		return mapping.Identity{}
	}
	p, err := resolvePunches(d, t)
	if err != nil {
		return mapping.Identity{}
	}
	dir, _ := createWithDirection(d, p, t.DirectionInKey)
	return mapping.Identity{Direction: dir}
}
