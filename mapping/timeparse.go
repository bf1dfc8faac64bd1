package mapping

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// timeKind is what a time-ish field holds.
type timeKind int

const (
	kindTimestamp timeKind = iota // date and time of day
	kindDate                      // date only (a Date field)
	kindClock                     // time of day only (Time when Date is set)
)

// Default layouts: unambiguous forms only. Day/month order is never
// guessed; "2006-1-2" also accepts zero-padded "2024-03-01".
var (
	defaultTimestampLayouts = []string{
		"2006-1-2 15:04:05",
		"2006-1-2T15:04:05",
		"2006-1-2T15:04:05Z07:00",
		"2006-1-2 15:04:05Z07:00",
		"2006-1-2T15:04:05Z0700",
		"2006-1-2 15:04:05Z07", // PostgreSQL's "+07"
		"2006-1-2 15:04",
		"2006-1-2T15:04",
		"2006/1/2 15:04:05",
		"2006/1/2 15:04",
		"20060102150405",
	}
	defaultDateLayouts = []string{
		"2006-1-2",
		"2006/1/2",
		"2006-1-2 15:04:05", // a date column exported as a midnight datetime
		"2006-1-2T15:04:05",
		"2006/1/2 15:04:05",
	}
	defaultClockLayouts = []string{
		"15:04:05",
		"15:04",
		"3:04:05 PM",
		"3:04 PM",
		"2006-1-2 15:04:05", // a time column exported as a datetime on a dummy day (1899-12-30)
		"2006-1-2T15:04:05",
	}
)

type layout struct {
	text   string // as configured, for messages
	parse  string // what time.Parse gets (pm → PM)
	excel  bool
	date19 bool // excel: the 1904 date system
	zoned  bool // the value carries its own offset
	abbrev bool // zone abbreviation (MST): resolved against the source zone
	upper  bool // AM/PM: Go matches "PM" or "pm" exactly, so pick by the value
	digits bool // parseDigits reads the common values of this layout
	// parseLower is parse with "pm": lower-case values parse without copying.
	parseLower string
}

func newLayout(text string) layout {
	l := layout{text: text, parse: text}
	switch text {
	case LayoutExcel:
		l.excel = true
		return l
	case LayoutExcel1904:
		l.excel, l.date19 = true, true
		return l
	}
	if strings.Contains(text, "pm") && !strings.Contains(text, "PM") {
		l.parse = strings.Replace(text, "pm", "PM", 1)
	}
	if strings.Contains(l.parse, "PM") {
		l.upper = true
		l.parseLower = strings.Replace(l.parse, "PM", "pm", 1)
	}
	l.abbrev = strings.Contains(text, "MST")
	l.digits = isDigitLayout(l.parse)
	l.zoned = l.abbrev || strings.Contains(text, "Z07") || strings.Contains(text, "-07")
	return l
}

// timeParser parses one field. It remembers the layout that last worked
// and tries it first, since a file nearly always uses one layout
// throughout; failed attempts cost an allocation each.
type timeParser struct {
	kind     timeKind
	defaults bool   // no layouts configured
	quoted   string // the layouts, quoted, for messages
	layouts  []layout
	last     atomic.Int32
}

func newTimeParser(kind timeKind, configured []string) *timeParser {
	texts := configured
	if len(texts) == 0 {
		switch kind {
		case kindTimestamp:
			texts = defaultTimestampLayouts
		case kindDate:
			texts = defaultDateLayouts
		case kindClock:
			texts = defaultClockLayouts
		}
	}
	p := &timeParser{kind: kind, defaults: len(configured) == 0}
	quoted := make([]string, len(texts))
	for i, t := range texts {
		p.layouts = append(p.layouts, newLayout(t))
		quoted[i] = strconv.Quote(t)
	}
	p.quoted = strings.Join(quoted, ", ")
	return p
}

// parsed is a parse result: a wall clock (in UTC, zone not yet applied)
// unless zoned, in which case t is an instant.
type parsed struct {
	t     time.Time
	zoned bool
}

// parse tries the layouts, the last good one first. ok is false when none
// matched; then explain says why.
func (p *timeParser) parse(value string, loc *time.Location) (parsed, bool) {
	first := int(p.last.Load())
	if r, ok := p.try(first, value, loc); ok {
		return r, true
	}
	for i := range p.layouts {
		if i == first {
			continue
		}
		if r, ok := p.try(i, value, loc); ok {
			p.last.Store(int32(i))
			return r, true
		}
	}
	return parsed{}, false
}

func (p *timeParser) try(i int, value string, loc *time.Location) (parsed, bool) {
	r, err := p.tryErr(i, value, loc)
	return r, err == nil
}

var errNotSerial = errors.New("not an Excel serial number")

func (p *timeParser) tryErr(i int, value string, loc *time.Location) (parsed, error) {
	l := &p.layouts[i]
	if l.excel {
		t, ok := p.excel(value, l.date19)
		if !ok {
			return parsed{}, errNotSerial
		}
		return parsed{t: t}, nil
	}
	if l.digits {
		if t, ok := parseDigits(l.parse, value); ok {
			return parsed{t: t}, nil
		}
	}
	layout := l.parse
	if l.upper && hasASCIILower(value) {
		if strings.Contains(value, "am") || strings.Contains(value, "pm") {
			if r, err := l.goParse(l.parseLower, value, loc); err == nil {
				return r, nil
			}
		}
		value = strings.ToUpper(value) // "Pm" and friends; month names match in any case
	}
	return l.goParse(layout, value, loc)
}

func (l *layout) goParse(layout, value string, loc *time.Location) (parsed, error) {
	if l.abbrev {
		t, err := time.ParseInLocation(layout, value, loc)
		return parsed{t: t, zoned: true}, err
	}
	t, err := time.Parse(layout, value)
	return parsed{t: t, zoned: l.zoned}, err
}

func (p *timeParser) excel(value string, date1904 bool) (time.Time, bool) {
	if p.kind != kindClock {
		return ParseExcelSerial(value, date1904)
	}
	// A time of day is the day fraction; a whole datetime serial in a
	// time column shows its time of day in Excel, so take its fraction.
	f, ok := parseExcelNumber(value)
	if !ok {
		return time.Time{}, false
	}
	secs := int64(math.Round((f - math.Floor(f)) * 86400))
	return time.Date(0, time.January, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(secs) * time.Second), true
}

// explain says why value matched no layout: the most telling error (a
// value that fits a layout but is impossible, like minute 67) first.
func (p *timeParser) explain(value string, loc *time.Location) string {
	var detail string
	for i := range p.layouts {
		_, err := p.tryErr(i, value, loc)
		var pe *time.ParseError
		if errors.As(err, &pe) && strings.Contains(pe.Message, "out of range") {
			detail = strings.TrimPrefix(pe.Message, ": ")
			break
		}
	}
	which := "layouts"
	if p.defaults {
		which = "default layouts"
	}
	msg := "it matches none of the " + which + " " + p.quoted
	if detail != "" {
		msg = "it fits a layout but the " + strings.Replace(detail, " out of range", " is out of range", 1) +
			"; " + which + " tried: " + p.quoted
	}
	if p.defaults && detail == "" {
		msg += `; set layout in the mapping for other forms (Go reference layouts such as "02/01/2006 15:04:05", or excel)`
	}
	return msg
}

func hasASCIILower(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			return true
		}
	}
	return false
}

// Excel serial numbers: day 1 is 1900-01-01 in the 1900 system, which also
// counts a 29 February 1900 that never was (day 60); day 0 is 1904-01-01
// in the 1904 system. The largest valid serial is 9999-12-31.
const maxExcelSerial = 2958465

var (
	excel1900Base  = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC) // serials from 61 on
	excel1900Early = time.Date(1899, time.December, 31, 0, 0, 0, 0, time.UTC) // serials 1 to 59
	excel1904Base  = time.Date(1904, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// ParseExcelSerial reads an Excel serial date-time ("45352.3541666667") as
// a naive wall clock in UTC. The day fraction is rounded to the nearest
// second, not truncated: stored fractions are a hair below the second the
// user typed. It refuses values before day 1 (1900 system), the phantom
// 1900-02-29, values past 9999-12-31, and anything that is not a plain
// decimal number.
func ParseExcelSerial(s string, date1904 bool) (time.Time, bool) {
	f, ok := parseExcelNumber(s)
	if !ok || f > maxExcelSerial {
		return time.Time{}, false
	}
	secs := int64(math.Round(f * 86400))
	if date1904 {
		return addSeconds(excel1904Base, secs), true
	}
	switch {
	case secs < 86400:
		return time.Time{}, false
	case secs < 60*86400:
		return addSeconds(excel1900Early, secs), true
	case secs < 61*86400:
		return time.Time{}, false // 1900-02-29, a Lotus 1-2-3 bug Excel kept
	}
	return addSeconds(excel1900Base, secs), true
}

// addSeconds adds whole days by the calendar: a time.Duration overflows
// after 292 years and serials reach the year 9999.
func addSeconds(base time.Time, secs int64) time.Time {
	return base.AddDate(0, 0, int(secs/86400)).Add(time.Duration(secs%86400) * time.Second)
}

// parseExcelNumber accepts plain decimals, with an exponent as readers
// write tiny fractions ("1.1574074074074073E-5"); no sign, hex, inf or nan.
func parseExcelNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || !(s[0] >= '0' && s[0] <= '9' || s[0] == '.') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f < 0 {
		return 0, false
	}
	return f, true
}

// resolveWall turns a wall clock (given in UTC fields) into the instant it
// names in loc, deterministically around daylight-saving changes:
//   - a wall time that happens twice (clocks go back) is the first one,
//     still on the earlier offset;
//   - a wall time that never happens (clocks go forward) is read with the
//     offset from before the change, so 02:30 in a 02:00→03:00 gap is 03:30.
//
// This is the "compatible" choice of RFC 9557/Temporal and of most
// calendar programs.
func resolveWall(wall time.Time, loc *time.Location) time.Time {
	t, _ := resolveWallKind(wall, loc)
	return t
}

// wallKind says how a wall time stands in its zone around a
// daylight-saving change.
type wallKind uint8

const (
	wallOnce    wallKind = iota // happens exactly once
	wallGap                     // never happens (clocks went forward over it)
	wallOverlap                 // happens twice (clocks went back over it)
)

// resolveWallKind is resolveWall that also says when the wall time never
// happens in loc (the mapping refuses it as invalid_time rather than shift
// it silently) or happens twice (the mapping takes the first and says so
// in the row's report line).
func resolveWallKind(wall time.Time, loc *time.Location) (time.Time, wallKind) {
	if loc == time.UTC {
		return wall, wallOnce
	}
	u := wall.Unix()
	offBefore := offsetAt(u-86400, loc)
	offAfter := offsetAt(u+86400, loc)
	c1 := u - int64(offBefore)
	ok1 := offsetAt(c1, loc) == offBefore
	if offBefore == offAfter && ok1 {
		return time.Unix(c1, 0).UTC(), wallOnce
	}
	c2 := u - int64(offAfter)
	ok2 := offsetAt(c2, loc) == offAfter
	switch {
	case ok1 && ok2:
		return time.Unix(min(c1, c2), 0).UTC(), wallOverlap
	case ok2:
		return time.Unix(c2, 0).UTC(), wallOnce
	case ok1:
		return time.Unix(c1, 0).UTC(), wallOnce
	}
	return time.Unix(c1, 0).UTC(), wallGap
}

func offsetAt(unix int64, loc *time.Location) int {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return off
}
