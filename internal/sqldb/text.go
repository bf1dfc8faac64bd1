package sqldb

import (
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
