package sqldb

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Dialect names, as returned by Dialect.Name.
const (
	SQLite    = "sqlite"
	MySQL     = "mysql" // MySQL and MariaDB
	Postgres  = "postgres"
	SQLServer = "sqlserver"
	Oracle    = "oracle"
)

// Dialect holds what differs between SQL databases for the statements
// hrsync writes: identifier quoting, placeholders, parameter limits and
// how times are bound.
type Dialect struct {
	name string
}

// DialectFor returns the dialect with the given name (see the constants).
func DialectFor(name string) (Dialect, error) {
	switch name {
	case SQLite, MySQL, Postgres, SQLServer, Oracle:
		return Dialect{name: name}, nil
	}
	return Dialect{}, fmt.Errorf("unknown SQL dialect %q", name)
}

// Name is one of SQLite, MySQL, Postgres, SQLServer, Oracle.
func (d Dialect) Name() string { return d.name }

var identPart = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidIdent reports whether ident is a plain identifier, optionally
// qualified by one schema (`schema.table`).
func ValidIdent(ident string) bool {
	parts := strings.Split(ident, ".")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if len(p) > 128 || !identPart.MatchString(p) {
			return false
		}
	}
	return true
}

// CheckIdent says why ident is not a name Quote takes; nil when it is.
func CheckIdent(ident string) error {
	if !ValidIdent(ident) {
		return fmt.Errorf("%q is not a valid SQL name: use letters, digits and _ (optionally schema.table)", ident)
	}
	return nil
}

// Quote validates ident (letters, digits and _, optionally `schema.table`)
// and quotes it for the dialect. key names the configuration setting the
// identifier came from, so the error can point at it.
//
// Oracle folds unquoted names to upper case, so an all-lower or all-upper
// name is quoted in upper case (it then means what the unquoted name
// would); a mixed-case name is quoted as written.
func (d Dialect) Quote(key, ident string) (string, error) {
	if err := CheckIdent(ident); err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	parts := strings.Split(ident, ".")
	for i, p := range parts {
		parts[i] = d.quotePart(p)
	}
	return strings.Join(parts, "."), nil
}

func (d Dialect) quotePart(p string) string {
	switch d.name {
	case MySQL, SQLite:
		// SQLite too: it reads a "double-quoted" name that matches no
		// column as a string literal, hiding a misspelt column.
		return "`" + p + "`"
	case SQLServer:
		return "[" + p + "]"
	case Oracle:
		if p == strings.ToLower(p) || p == strings.ToUpper(p) {
			p = strings.ToUpper(p)
		}
		return `"` + p + `"`
	default:
		return `"` + p + `"`
	}
}

// Placeholder returns the n-th (1-based) bind parameter marker.
func (d Dialect) Placeholder(n int) string {
	switch d.name {
	case Postgres:
		return "$" + strconv.Itoa(n)
	case SQLServer:
		return "@p" + strconv.Itoa(n)
	case Oracle:
		return ":" + strconv.Itoa(n)
	default:
		return "?"
	}
}

// MaxParams is the most bind parameters one statement may carry.
func (d Dialect) MaxParams() int {
	switch d.name {
	case SQLite:
		return 32766 // SQLITE_MAX_VARIABLE_NUMBER since 3.32
	case SQLServer:
		return 2098 // 2100, less two the driver may add for sp_executesql
	case Oracle:
		return 32767 // well under the 65535 bind limit; big statements parse slowly anyway
	default:
		return 65535 // MySQL and PostgreSQL wire protocols count parameters in 16 bits
	}
}

// TimeLayout is how SQLite stores times as TEXT: UTC, to the second, and
// sorting in time order.
const TimeLayout = "2006-01-02 15:04:05"

// BindTime returns the value to bind for a point in time: always UTC and
// to the second; TEXT in SQLite so that stored values compare and sort as
// times and read well in any SQLite tool.
func (d Dialect) BindTime(t time.Time) any {
	t = t.UTC().Truncate(time.Second)
	if d.name == SQLite {
		return t.Format(TimeLayout)
	}
	return t
}

// ScanTime turns a time read back from the database (time.Time, or text as
// SQLite stores it) into UTC.
func ScanTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		// The drivers tag columns without a zone as UTC (the MySQL one
		// because Open sets loc=UTC); zoned columns convert correctly.
		return t.UTC(), nil
	case string:
		return parseTimeText(t)
	case []byte:
		return parseTimeText(string(t))
	}
	return time.Time{}, fmt.Errorf("cannot read %T as a time", v)
}

func parseTimeText(s string) (time.Time, error) {
	for _, layout := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05.999999999-07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
}
