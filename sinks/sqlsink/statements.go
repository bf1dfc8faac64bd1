package sqlsink

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// This file builds the SQL text. It is pure, so that the statements of the
// databases that cannot run here (SQL Server, Oracle) are tested as text.

// statements builds the SQL for one punch table in one dialect.
type statements struct {
	d sqldb.Dialect
	p punchColumns
	// employeeIndex: createPunches adds the (employee_id, punch_time) index.
	employeeIndex bool
	// key is the punch's unique key, in index order (keyOf): the one the
	// table has, or the one createPunches gives it.
	key []string
}

// valueRows writes n rows of len(fields) placeholders: (?,?),(?,?)
func (st statements) valueRows(b *strings.Builder, n int, open, close string) {
	k := 1
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(open)
		for j := range st.p.fields {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString(st.d.Placeholder(k))
			k++
		}
		b.WriteString(close)
	}
}

func (st statements) keyColumns(prefix string) string {
	cols := make([]string, len(st.key))
	for i, f := range st.key {
		cols[i] = prefix + st.p.col(f)
	}
	return strings.Join(cols, ", ")
}

func (st statements) columnList() string { return strings.Join(st.p.quoted, ", ") }

// insertReturning inserts n rows, skipping those whose key exists, and
// returns the key of each row it inserted. SQLite and PostgreSQL use
// ON CONFLICT DO NOTHING; MariaDB (10.5+) INSERT IGNORE.
func (st statements) insertReturning(n int) string {
	var b strings.Builder
	if st.d.Name() == sqldb.MySQL {
		b.WriteString("INSERT IGNORE INTO ")
	} else {
		b.WriteString("INSERT INTO ")
	}
	fmt.Fprintf(&b, "%s (%s) VALUES ", st.p.table, st.columnList())
	st.valueRows(&b, n, "(", ")")
	if st.d.Name() != sqldb.MySQL {
		b.WriteString(" ON CONFLICT DO NOTHING")
	}
	b.WriteString(" RETURNING ")
	b.WriteString(st.keyColumns(""))
	return b.String()
}

// insertSkipping inserts n rows, skipping those whose key exists, without
// saying which (SQLite, PostgreSQL).
func (st statements) insertSkipping(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", st.p.table, st.columnList())
	st.valueRows(&b, n, "(", ")")
	b.WriteString(" ON CONFLICT DO NOTHING")
	return b.String()
}

// insertIgnore inserts n rows, skipping those whose key exists (MySQL).
func (st statements) insertIgnore(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT IGNORE INTO %s (%s) VALUES ", st.p.table, st.columnList())
	st.valueRows(&b, n, "(", ")")
	return b.String()
}

// loadData loads the rows the MySQL driver sends from the reader handler
// name, skipping stored keys (IGNORE). The text is in LOAD DATA's default
// format (fields ended by tab, lines by newline, backslash escapes; see
// appendText), left implicit so that no backslash in the statement depends
// on the sql_mode NO_BACKSLASH_ESCAPES. The fields the text leaves out are
// set once for every row: the server then parses and converts them once
// per batch instead of once per row.
func (st statements) loadData(reader string, l bulkLayout, importedAt time.Time) string {
	cols := make([]string, len(l.fields))
	for i, f := range l.fields {
		cols[i] = st.p.col(f)
	}
	var set []string
	if st.p.has("source") && l.source != nil {
		set = append(set, fmt.Sprintf("%s = '%s'", st.p.col("source"), *l.source))
	}
	if st.p.has("imported_at") && !slices.Contains(l.fields, "imported_at") {
		set = append(set, fmt.Sprintf("%s = '%s'", st.p.col("imported_at"), l.atClock.Wall(importedAt).Format(sqldb.TimeLayout)))
	}
	q := fmt.Sprintf("LOAD DATA LOCAL INFILE 'Reader::%s' IGNORE INTO TABLE %s CHARACTER SET utf8mb4 (%s)",
		reader, st.p.table, strings.Join(cols, ", "))
	if len(set) > 0 {
		q += " SET " + strings.Join(set, ", ")
	}
	return q
}

// copyFrom copies the rows PostgreSQL reads from the connection, in COPY's
// binary format or its text format (the same tab, newline and backslash
// rules as LOAD DATA's).
func (st statements) copyFrom(binary bool) string {
	q := fmt.Sprintf("COPY %s (%s) FROM STDIN", st.p.table, st.columnList())
	if binary {
		q += " WITH (FORMAT binary)"
	}
	return q
}

// selectKeysBetween lists the keys with a time in [first, last]: with
// input sorted by time, one short range scan of the time-first unique
// index. (A tuple IN list of the keys is exact too, but MariaDB scans the
// table for it, and in Oracle it cannot match the NULL that an empty
// device id becomes.)
func (st statements) selectKeysBetween() string {
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s BETWEEN %s AND %s",
		st.keyColumns(""), st.p.table, st.p.col("punch_time"), st.d.Placeholder(1), st.d.Placeholder(2))
}

// mergeOutput inserts the rows of n whose key is absent and outputs the key
// of each row inserted (SQL Server). HOLDLOCK keeps a concurrent MERGE
// from inserting the same key between the check and the insert.
func (st statements) mergeOutput(n int) string {
	var b strings.Builder
	src := make([]string, len(st.p.fields))
	for i := range src {
		src[i] = fmt.Sprintf("c%d", i)
	}
	fmt.Fprintf(&b, "MERGE INTO %s WITH (HOLDLOCK) AS t USING (VALUES ", st.p.table)
	st.valueRows(&b, n, "(", ")")
	fmt.Fprintf(&b, ") AS s (%s) ON ", strings.Join(src, ", "))
	for i, f := range st.key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		fmt.Fprintf(&b, "t.%s = s.c%d", st.p.col(f), st.fieldIndex(f))
	}
	fmt.Fprintf(&b, " WHEN NOT MATCHED BY TARGET THEN INSERT (%s) VALUES (s.%s)", st.columnList(), strings.Join(src, ", s."))
	fmt.Fprintf(&b, " OUTPUT %s;", st.keyColumns("inserted."))
	return b.String()
}

// mergeOracle inserts the rows of n whose key is absent (Oracle). Oracle
// stores ” as NULL, so device ids compare with DECODE, which treats two
// NULLs as equal.
func (st statements) mergeOracle(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "MERGE INTO %s t USING (", st.p.table)
	k := 1
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT ")
		for j := range st.p.fields {
			if j > 0 {
				b.WriteString(", ")
			}
			if st.p.fields[j] == "punch_time" || st.p.fields[j] == "imported_at" {
				// Bind as a timestamp, whatever type the driver sends.
				fmt.Fprintf(&b, "CAST(%s AS TIMESTAMP(0))", st.d.Placeholder(k))
			} else {
				b.WriteString(st.d.Placeholder(k))
			}
			if i == 0 {
				fmt.Fprintf(&b, " c%d", j)
			}
			k++
		}
		b.WriteString(" FROM dual")
	}
	b.WriteString(") s ON (")
	for i, f := range st.key {
		if i > 0 {
			b.WriteString(" AND ")
		}
		if f == "device_id" || f == "direction" {
			fmt.Fprintf(&b, "DECODE(t.%s, s.c%d, 1, 0) = 1", st.p.col(f), st.fieldIndex(f))
		} else {
			fmt.Fprintf(&b, "t.%s = s.c%d", st.p.col(f), st.fieldIndex(f))
		}
	}
	src := make([]string, len(st.p.fields))
	for i := range src {
		src[i] = fmt.Sprintf("s.c%d", i)
	}
	fmt.Fprintf(&b, ") WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s)", st.columnList(), strings.Join(src, ", "))
	return b.String()
}

func (st statements) fieldIndex(f string) int {
	for i, g := range st.p.fields {
		if g == f {
			return i
		}
	}
	return -1
}

// probe selects no rows but names every configured column, so that a
// missing table or column shows up before any write.
func (st statements) probe() string {
	return fmt.Sprintf("SELECT %s FROM %s WHERE 1 = 0", st.columnList(), st.p.table)
}

// createPunches returns the statements that create the punch table and its
// indexes: the unique key, time first, and, when asked, (employee, time)
// for reading one person's punches. On MySQL/MariaDB and PostgreSQL the
// key is the primary key and there is no surrogate id: a second index on an
// id cost each bulk load more than half again (LOAD DATA of 1M punches into
// the table: 4.1 s with the id, 2.5 s without; \copy 2.6 s and 1.7 s), and
// InnoDB keeps rows in primary-key order, which time-sorted input appends to.
func (st statements) createPunches() ([]string, error) {
	types := columnTypes(st.d.Name())
	keyIsPrimary := st.d.Name() == sqldb.MySQL || st.d.Name() == sqldb.Postgres
	var cols []string
	if !st.p.has("id") && !keyIsPrimary {
		id, err := st.d.Quote("punches.table", "id")
		if err != nil {
			return nil, err
		}
		cols = append(cols, id+" "+types["_id"])
	}
	for i, f := range st.p.fields {
		cols = append(cols, st.p.quoted[i]+" "+types[f])
	}
	keyIndex, empIndex, on, err := st.indexNames()
	if err != nil {
		return nil, err
	}
	var stmts []string
	if keyIsPrimary {
		cols = append(cols, fmt.Sprintf("CONSTRAINT %s PRIMARY KEY (%s)", keyIndex, st.keyColumns("")))
		stmts = append(stmts, fmt.Sprintf("CREATE TABLE %s (%s)", st.p.table, strings.Join(cols, ", ")))
	} else {
		stmts = append(stmts,
			fmt.Sprintf("CREATE TABLE %s (%s)", st.p.table, strings.Join(cols, ", ")),
			fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s (%s)", keyIndex, on, st.keyColumns("")))
	}
	if st.employeeIndex {
		stmts = append(stmts, st.employeeIndexSQL(empIndex, on))
	}
	return stmts, nil
}

func (st statements) employeeIndexSQL(name, on string) string {
	return fmt.Sprintf("CREATE INDEX %s ON %s (%s, %s)", name, on, st.p.col("employee_id"), st.p.col("punch_time"))
}

// employeeIndexExists is the query that counts the indexes named as the
// employee index of the table (raw names, as the catalog keeps them), and
// its arguments.
func (st statements) employeeIndexExists() (string, []any) {
	schema, table, qualified := strings.Cut(st.p.rawTable, ".")
	if !qualified {
		table, schema = schema, ""
	}
	name := table + "_employee_time"
	switch st.d.Name() {
	case sqldb.SQLite:
		master := "sqlite_master"
		if schema != "" {
			q, _ := st.d.Quote("punches.table", schema) // checked by indexNames
			master = q + ".sqlite_master"
		}
		return "SELECT COUNT(*) FROM " + master + " WHERE type = 'index' AND name = ?", []any{name}
	case sqldb.Postgres:
		return "SELECT COUNT(*) FROM pg_indexes WHERE indexname = $1 AND tablename = $2 AND schemaname = COALESCE(NULLIF($3, ''), current_schema())", []any{name, table, schema}
	case sqldb.MySQL:
		return "SELECT COUNT(DISTINCT index_name) FROM information_schema.statistics WHERE index_name = ? AND table_name = ? AND table_schema = COALESCE(NULLIF(?, ''), DATABASE())", []any{name, table, schema}
	case sqldb.SQLServer:
		return "SELECT COUNT(*) FROM sys.indexes WHERE name = @p1 AND object_id = OBJECT_ID(@p2)", []any{name, st.p.table}
	default: // Oracle keeps unquoted-case names upper case
		return "SELECT COUNT(*) FROM all_indexes WHERE index_name = :1 AND table_name = :2 AND owner = COALESCE(:3, USER)",
			[]any{oracleName(name), oracleName(table), nullIfEmpty(oracleName(schema))}
	}
}

func oracleName(p string) string {
	if p == strings.ToLower(p) || p == strings.ToUpper(p) {
		return strings.ToUpper(p)
	}
	return p
}

// indexNames names the indexes after the table. SQLite wants the schema on
// the index name and not on the table; the others the other way round.
func (st statements) indexNames() (key, byEmployee, on string, err error) {
	schema, table, qualified := strings.Cut(st.p.rawTable, ".")
	if !qualified {
		table, schema = schema, ""
	}
	if key, err = st.d.Quote("punches.table", table+"_key"); err != nil {
		return
	}
	if byEmployee, err = st.d.Quote("punches.table", table+"_employee_time"); err != nil {
		return
	}
	on = st.p.table
	if st.d.Name() == sqldb.SQLite && schema != "" {
		s, _ := st.d.Quote("punches.table", schema)
		key, byEmployee = s+"."+key, s+"."+byEmployee
		on, _ = st.d.Quote("punches.table", table)
	}
	return key, byEmployee, on, nil
}

// columnTypes gives each punch field a column type per dialect. "_id" is a
// surrogate primary key, so the table has one. Times have no zone: they
// hold the wall clock of Config.Zone (TEXT in SQLite, "2006-01-02
// 15:04:05"); in Oracle, where ” is NULL,
// text columns other than the employee are nullable.
func columnTypes(dialect string) map[string]string {
	switch dialect {
	case sqldb.SQLite:
		return map[string]string{
			"_id":         "INTEGER PRIMARY KEY",
			"employee_id": "TEXT NOT NULL", "punch_time": "TEXT NOT NULL", "direction": "TEXT NOT NULL",
			"device_id": "TEXT NOT NULL", "source": "TEXT NOT NULL", "source_key": "TEXT NOT NULL",
			"imported_at": "TEXT NOT NULL",
		}
	case sqldb.MySQL:
		// Binary collation: ids that differ in case are different people.
		return map[string]string{
			"_id":         "BIGINT AUTO_INCREMENT PRIMARY KEY",
			"employee_id": "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL", "punch_time": "DATETIME NOT NULL",
			"direction": "VARCHAR(16) NOT NULL", "device_id": "VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
			"source": "VARCHAR(64) NOT NULL", "source_key": "VARCHAR(128) NOT NULL", "imported_at": "DATETIME NOT NULL",
		}
	case sqldb.Postgres:
		return map[string]string{
			"_id":         "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
			"employee_id": "TEXT NOT NULL", "punch_time": "TIMESTAMP(0) NOT NULL", "direction": "TEXT NOT NULL",
			"device_id": "TEXT NOT NULL", "source": "TEXT NOT NULL", "source_key": "TEXT NOT NULL",
			"imported_at": "TIMESTAMP(0) NOT NULL",
		}
	case sqldb.SQLServer:
		return map[string]string{
			"_id":         "BIGINT IDENTITY PRIMARY KEY",
			"employee_id": "NVARCHAR(64) NOT NULL", "punch_time": "DATETIME2(0) NOT NULL", "direction": "NVARCHAR(16) NOT NULL",
			"device_id": "NVARCHAR(64) NOT NULL", "source": "NVARCHAR(64) NOT NULL", "source_key": "NVARCHAR(128) NOT NULL",
			"imported_at": "DATETIME2(0) NOT NULL",
		}
	case sqldb.Oracle:
		return map[string]string{
			"_id":         "NUMBER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
			"employee_id": "VARCHAR2(64 CHAR) NOT NULL", "punch_time": "TIMESTAMP(0) NOT NULL", "direction": "VARCHAR2(16 CHAR)",
			"device_id": "VARCHAR2(64 CHAR)", "source": "VARCHAR2(64 CHAR)", "source_key": "VARCHAR2(128 CHAR)",
			"imported_at": "TIMESTAMP(0)",
		}
	}
	return nil
}

// createEmployees returns the statement creating the employee table with a
// column per mapped field, the id as primary key.
func createEmployees(d sqldb.Dialect, table string, e employeeColumns) (string, error) {
	text, id := "TEXT", "TEXT NOT NULL PRIMARY KEY"
	switch d.Name() {
	case sqldb.MySQL:
		text, id = "VARCHAR(255)", "VARCHAR(64) NOT NULL PRIMARY KEY"
	case sqldb.SQLServer:
		text, id = "NVARCHAR(255)", "NVARCHAR(64) NOT NULL PRIMARY KEY"
	case sqldb.Oracle:
		text, id = "VARCHAR2(255 CHAR)", "VARCHAR2(64 CHAR) NOT NULL PRIMARY KEY"
	}
	var cols []string
	for _, f := range EmployeeFields {
		name, ok := e.column[f]
		if !ok {
			continue
		}
		q, err := d.Quote("employees.columns."+f, name)
		if err != nil {
			return "", err
		}
		typ := text
		if f == "id" {
			typ = id
		}
		cols = append(cols, q+" "+typ)
	}
	return fmt.Sprintf("CREATE TABLE %s (%s)", table, strings.Join(cols, ", ")), nil
}
