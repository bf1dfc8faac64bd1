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

// TimeLayout is how SQLite stores times as TEXT: to the second, without a
// zone (a Clock says which), sorting in time order.
const TimeLayout = "2006-01-02 15:04:05"

// Clock is how one column keeps date-times. A zone-aware column
// (PostgreSQL timestamptz, SQL Server datetimeoffset, MySQL TIMESTAMP in
// hrsync's UTC session) holds instants. A naive one (DATETIME, timestamp
// without time zone, DATETIME2, Oracle DATE and TIMESTAMP, SQLite text)
// holds a wall clock, which means an instant only in the zone the HR
// system keeps it in: writing it in UTC would store a 07:58 punch in
// Asia/Ho_Chi_Minh as 00:58.
type Clock struct {
	// Zone is the zone of a naive column's wall clock; nil for a
	// zone-aware column.
	Zone *time.Location
}

// Instant is the Clock of a zone-aware column.
var Instant = Clock{}

// NaiveIn is the Clock of a naive column whose wall clock is in loc.
func NaiveIn(loc *time.Location) Clock {
	if loc == nil {
		loc = time.UTC
	}
	return Clock{Zone: loc}
}

// Naive reports whether the column has no zone of its own.
func (c Clock) Naive() bool { return c.Zone != nil }

// Wall is t as the column holds it, to the second: for a naive column its
// wall clock in Zone, labelled UTC (the drivers write a UTC time's wall
// clock unchanged into a column without zone); for a zone-aware one the
// instant, in UTC.
func (c Clock) Wall(t time.Time) time.Time {
	t = t.Truncate(time.Second)
	if c.Zone == nil {
		return t.UTC()
	}
	// The instant moved by the zone's offset at that instant: cheaper than
	// building the date from its fields, once per punch.
	_, off := t.In(c.Zone).Zone()
	return t.Add(time.Duration(off) * time.Second).UTC()
}

// Read turns a time read back from the column (time.Time, or text as
// SQLite stores it) into the instant it stands for, in UTC.
func (c Clock) Read(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		if c.Zone == nil {
			return t.UTC(), nil
		}
		// The drivers give a column without zone its wall clock labelled
		// UTC (the MySQL one because Open sets loc=UTC).
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), c.Zone).UTC(), nil
	case string:
		return c.parseText(t)
	case []byte:
		return c.parseText(string(t))
	}
	return time.Time{}, fmt.Errorf("cannot read %T as a time", v)
}

// parseText reads text with an offset as that instant, and text without
// one as a wall clock in Zone (UTC for a zone-aware column).
func (c Clock) parseText(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	loc := c.Zone
	if loc == nil {
		loc = time.UTC
	}
	for _, layout := range []string{TimeLayout, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time", s)
}

// BindTime returns the value to bind for a point in time in a column kept
// by c (see Clock.Wall); TEXT in SQLite so that stored values compare and
// sort as times and read well in any SQLite tool.
func (d Dialect) BindTime(t time.Time, c Clock) any {
	if d.name == SQLite {
		return SQLiteTime(t, c)
	}
	return c.Wall(t)
}

// SQLiteTime is the text a time is kept as in a SQLite column kept by c
// (BindTime's value there).
func SQLiteTime(t time.Time, c Clock) string { return c.Wall(t).Format(TimeLayout) }

// ZoneAware reports whether a column of the type (as database/sql's
// ColumnType.DatabaseTypeName names it) holds instants rather than a wall
// clock. SQLite stores text, which hrsync writes without a zone.
func (d Dialect) ZoneAware(typeName string) bool {
	t := strings.ToUpper(typeName)
	switch d.name {
	case Postgres:
		return t == "TIMESTAMPTZ"
	case MySQL:
		// TIMESTAMP converts from and to the session's zone, UTC here.
		return t == "TIMESTAMP"
	case SQLServer:
		return t == "DATETIMEOFFSET"
	case Oracle:
		return strings.Contains(t, "TZ") || strings.Contains(t, "TIME ZONE")
	}
	return false
}
