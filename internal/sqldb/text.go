package sqldb

import (
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// TextFormat is what the readers of scanned values choose differently.
type TextFormat struct {
	// Dates writes a time at midnight (in its own zone) as the date alone:
	// directory fields such as onboarding_date are dates.
	Dates bool
	// Zone, when set, converts every other time into it first: a punch
	// source reads wall clock in its zone, the HR directory in UTC.
	Zone *time.Location
	// BoolDigits writes booleans as 1 and 0, as direction codes are
	// written, instead of true and false.
	BoolDigits bool
}

// Text writes a value scanned from a database as text: NULL as "",
// numbers in plain decimal (never 1e+06), times in TimeLayout.
func Text(v any, f TextFormat) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if f.BoolDigits {
			if x {
				return "1"
			}
			return "0"
		}
		return strconv.FormatBool(x)
	case time.Time:
		if f.Dates && x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		if f.Zone != nil {
			x = x.In(f.Zone)
		}
		return x.Format(TimeLayout)
	}
	return fmt.Sprint(v)
}

// RowReader reads a query's rows into values it reuses: every reader of
// database rows (punch sources, the HR directory, employee queries) scans
// through it and writes the values with Text.
type RowReader struct {
	rows    *sql.Rows
	Columns []string
	N       int // rows read so far
	vals    []any
	dest    []any
}

// NewRowReader reads the column names and readies the values; it closes
// rows when it fails.
func NewRowReader(rows *sql.Rows) (*RowReader, error) {
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return nil, err
	}
	r := &RowReader{rows: rows, Columns: cols, vals: make([]any, len(cols)), dest: make([]any, len(cols))}
	for i := range r.vals {
		r.dest[i] = &r.vals[i]
	}
	return r, nil
}

// Next moves to the next row; false after the last or on an error (Err).
func (r *RowReader) Next() bool {
	if !r.rows.Next() {
		return false
	}
	r.N++
	return true
}

// Scan reads the current row; the values are valid until the next Scan.
// A row that cannot be scanned is that row's error: the rows go on.
func (r *RowReader) Scan() ([]any, error) {
	clear(r.vals)
	if err := r.rows.Scan(r.dest...); err != nil {
		return nil, err
	}
	return r.vals, nil
}

// Texts scans the current row and writes each value with f.
func (r *RowReader) Texts(f TextFormat) ([]string, error) {
	vals, err := r.Scan()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = Text(v, f)
	}
	return out, nil
}

// Err is the error that ended the rows, if any.
func (r *RowReader) Err() error { return r.rows.Err() }

// Close ends the read.
func (r *RowReader) Close() error { return r.rows.Close() }
