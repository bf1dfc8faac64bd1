package sheet

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// cellKind says what a cell held in the file, so that nothing is guessed
// from the text later.
type cellKind uint8

const (
	cellEmpty cellKind = iota
	cellText
	cellNumber // already rendered as plain decimal or date text
	cellBool
	cellError
)

// cell is one value as the reader hands it on: Text is what goes into
// Row.Fields; for an error cell it is the error code such as "#N/A".
type cell struct {
	kind cellKind
	text string
}

// dateStyle says how a number format shows a serial number.
type dateStyle uint8

const (
	notDate dateStyle = iota
	dateOnly
	timeOnly
	dateAndTime
)

// builtinDateStyle covers Excel's built-in number formats that are dates or
// times (ECMA-376 §18.8.30; the same ids in BIFF8).
func builtinDateStyle(id int) dateStyle {
	switch {
	case id >= 14 && id <= 17:
		return dateOnly
	case id >= 18 && id <= 21, id >= 45 && id <= 47:
		return timeOnly
	case id == 22:
		return dateAndTime
	}
	return notDate
}

// formatDateStyle reads a custom number format code and says whether it
// shows a date, a time or both. Only the first section counts (the one used
// for positive numbers); quoted text, [brackets] (colours, locales,
// conditions, but also elapsed [h]), escaped characters and padding are
// skipped.
func formatDateStyle(code string) dateStyle {
	var hasDate, hasTime bool
	prevTime := false // the last date/time letter seen was h (m after h is minutes)
	lower := strings.ToLower(code)
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		switch c {
		case ';':
			i = len(lower)
			continue
		case '"':
			j := strings.IndexByte(lower[i+1:], '"')
			if j < 0 {
				i = len(lower)
			} else {
				i += j + 1
			}
			continue
		case '[':
			j := strings.IndexByte(lower[i+1:], ']')
			inner := ""
			if j >= 0 {
				inner = lower[i+1 : i+1+j]
				i += j + 1
			} else {
				i = len(lower)
			}
			// Elapsed time: [h], [mm], [ss].
			if inner != "" && strings.Trim(inner, "hms") == "" {
				hasTime = true
				prevTime = true
			}
			continue
		case '\\', '_', '*':
			i++ // the next character is literal, padding or fill
			continue
		case 'd', 'y':
			hasDate = true
			prevTime = false
		case 'h', 's':
			hasTime = true
			prevTime = c == 'h'
		case 'm':
			if prevTime || nextLetterIsS(lower[i:]) {
				hasTime = true
			} else if !strings.HasPrefix(lower[i:], "m/p") { // a/p, am/pm
				hasDate = true
			}
			for i+1 < len(lower) && lower[i+1] == 'm' {
				i++
			}
			prevTime = false
		case 'a':
			if strings.HasPrefix(lower[i:], "am/pm") {
				i += 4
			} else if strings.HasPrefix(lower[i:], "a/p") {
				i += 2
			}
		case 'g':
			if strings.HasPrefix(lower[i:], "general") {
				i += 6
			}
		}
	}
	switch {
	case hasDate && hasTime:
		return dateAndTime
	case hasDate:
		return dateOnly
	case hasTime:
		return timeOnly
	}
	return notDate
}

// nextLetterIsS reports whether the next date/time letter after the m run
// at the start of s is an s (as in mm:ss), which makes the m minutes.
func nextLetterIsS(s string) bool {
	i := 0
	for i < len(s) && s[i] == 'm' {
		i++
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case 's':
			return true
		case 'd', 'y', 'h', 'm':
			return false
		}
	}
	return false
}

const (
	layoutDateTime = "2006-01-02 15:04:05"
	layoutDate     = "2006-01-02"
	layoutTime     = "15:04:05"
	secondsPerDay  = 86400
	maxSerial      = 2958466 // 10000-01-01 in the 1900 system
)

var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// serialText turns a date serial number into text, rounded to the nearest
// second. ok is false when the number cannot be a date (negative or past
// year 9999); the caller then shows it as a plain number.
func serialText(serial float64, style dateStyle, date1904 bool) (string, bool) {
	if serial < 0 || serial >= maxSerial || math.IsNaN(serial) {
		return "", false
	}
	days := math.Floor(serial)
	secs := int64(math.Round((serial - days) * secondsPerDay))
	if secs >= secondsPerDay {
		days++
		secs -= secondsPerDay
	}
	if days == 0 {
		// A fraction of a day is a time of day whatever the format says:
		// no punch happens on 1899-12-30.
		return time.Unix(secs, 0).UTC().Format(layoutTime), true
	}
	base := epoch1900
	if date1904 {
		base = epoch1904
	} else if days < 60 {
		// Excel counts the nonexistent 1900-02-29 as day 60; below it the
		// serials are one day off the plain count from 1899-12-30.
		base = base.AddDate(0, 0, 1)
	}
	t := base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	if secs == 0 && style == dateOnly {
		return t.Format(layoutDate), true
	}
	return t.Format(layoutDateTime), true
}

// numberText renders a number the way a person typed it: plain decimal,
// no exponent, no trailing ".0", at most 15 significant digits like Excel
// (so 0.1+0.2 shows 0.3).
func numberText(v float64) string {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		r = v
	}
	if r == 0 {
		return "0" // also for -0
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// numberCell renders a numeric cell with its number format's date style.
func numberCell(v float64, style dateStyle, date1904 bool) cell {
	if style != notDate {
		if s, ok := serialText(v, style, date1904); ok {
			return cell{kind: cellNumber, text: s}
		}
	}
	return cell{kind: cellNumber, text: numberText(v)}
}

func boolCell(b bool) cell {
	if b {
		return cell{kind: cellBool, text: "TRUE"}
	}
	return cell{kind: cellBool, text: "FALSE"}
}

// cellRef names a cell as Excel shows it: C17 for column 3, row 17.
func cellRef(col, row int) string {
	return columnName(col) + strconv.Itoa(row)
}

// columnName turns a 1-based column number into letters: 1 → A, 28 → AB.
func columnName(col int) string {
	var b []byte
	for col > 0 {
		col--
		b = append([]byte{byte('A' + col%26)}, b...)
		col /= 26
	}
	return string(b)
}
