package mapping

import "time"

// digitLayouts are the layouts parseDigits reads: date and time of day as
// fixed-width numbers, the form nearly every export writes. Reading these
// by hand is several times cheaper than time.Parse, which each row paid.
var digitLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006/01/02 15:04:05",
	"2006-1-2 15:04:05", "2006-1-2T15:04:05", "2006/1/2 15:04:05",
}

func isDigitLayout(layout string) bool {
	for _, l := range digitLayouts {
		if layout == l {
			return true
		}
	}
	return false
}

// parseDigits reads value in one of the digitLayouts when it is written
// zero-padded ("2024-03-01 08:30:15") and names a real time: then it gives
// exactly what time.Parse gives. Anything else (one-digit months, a
// fraction of a second, minute 67, 30 February) is not ok, and is left to
// time.Parse, for its result or its error.
func parseDigits(layout, value string) (time.Time, bool) {
	if len(value) != len("2006-01-02 15:04:05") {
		return time.Time{}, false
	}
	dateSep, clockSep := layout[4], layout[len(layout)-len("15:04:05")-1]
	if value[4] != dateSep || value[7] != dateSep || value[10] != clockSep || value[13] != ':' || value[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(value[0:4])
	month, ok2 := digits(value[5:7])
	day, ok3 := digits(value[8:10])
	hour, ok4 := digits(value[11:13])
	minute, ok5 := digits(value[14:16])
	sec, ok6 := digits(value[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(time.Month(month), year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC), true
}

// digits reads s as a decimal number; ok is false unless all of s is digits.
func digits(s string) (n int, ok bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn is the length of a month in the proleptic Gregorian calendar, as
// time.Parse checks the day against it.
func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
