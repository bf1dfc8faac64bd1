package mapcheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hrsync/hrsync/mapping"
)

// numericDate finds an all-number date at the start of s: three digit runs
// split by "/", "-" or ".". It returns the two numbers that could be a day
// or a month, in the order written, and whether the year came first.
// "03/04/2025 08:00" → 3, 4, false; "2025-04-03" → 4, 3, true.
func numericDate(s string) (first, second int, yearFirst, ok bool) {
	first, second, yearFirst, ok, _ = numericDatePrefix(strings.TrimSpace(s))
	return first, second, yearFirst, ok
}

// numericDatePrefix is numericDate of a trimmed s, and how many bytes of s
// the date took: what follows them is nothing or ' ', 'T' or ','.
func numericDatePrefix(s string) (first, second int, yearFirst, ok bool, n int) {
	var nums [3]string
	rest := s
	for i := 0; i < 3; i++ {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j == 0 || j > 4 {
			return 0, 0, false, false, 0
		}
		nums[i] = rest[:j]
		rest = rest[j:]
		if i < 2 {
			if rest == "" || !strings.ContainsRune("/-.", rune(rest[0])) {
				return 0, 0, false, false, 0
			}
			rest = rest[1:]
		}
	}
	if !dateEnds(rest) {
		return 0, 0, false, false, 0
	}
	n = len(s) - len(rest)
	a, _ := strconv.Atoi(nums[0])
	b, _ := strconv.Atoi(nums[1])
	c, _ := strconv.Atoi(nums[2])
	switch {
	case len(nums[0]) == 4 && len(nums[1]) <= 2 && len(nums[2]) <= 2:
		return b, c, true, inDayMonthRange(b) && inDayMonthRange(c), n
	case len(nums[0]) <= 2 && len(nums[1]) <= 2 && (len(nums[2]) == 4 || len(nums[2]) == 2):
		return a, b, false, inDayMonthRange(a) && inDayMonthRange(b), n
	}
	return 0, 0, false, false, 0
}

// dateEnds reports whether rest, what follows a date's third number, ends
// the date.
func dateEnds(rest string) bool {
	return rest == "" || rest[0] == ' ' || rest[0] == 'T' || rest[0] == ','
}

func inDayMonthRange(n int) bool { return n >= 1 && n <= 31 }

// dateEvidence gathers, value by value, whether day and month could be
// swapped in a column. Constant memory.
type dateEvidence struct {
	field, column       string
	values, numeric     int64
	yearFirst, yearLast int64
	firstAbove12        int64
	secondAbove12       int64
	differ              bool // some value has two different numbers, so swapping matters
	firstEx, secondEx   *Example
	// last is the date of the last value numericDate read, and what it
	// read: a time-sorted export repeats its date row after row.
	last struct {
		date      string
		a, b      int
		yearFirst bool
	}
}

func (d *dateEvidence) add(raw, file string, line int) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return
	}
	d.values++
	var (
		a, b   int
		yf, ok bool
	)
	if l := &d.last; l.date != "" && strings.HasPrefix(raw, l.date) && dateEnds(raw[len(l.date):]) {
		a, b, yf, ok = l.a, l.b, l.yearFirst, true
	} else {
		var n int
		if a, b, yf, ok, n = numericDatePrefix(raw); ok {
			l.date, l.a, l.b, l.yearFirst = raw[:n], a, b, yf
		}
	}
	if !ok {
		return
	}
	d.numeric++
	if yf {
		d.yearFirst++
	} else {
		d.yearLast++
	}
	if a != b {
		d.differ = true
	}
	if a > 12 {
		d.firstAbove12++
		if d.firstEx == nil {
			d.firstEx = &Example{File: file, Line: line, Raw: raw}
		}
	}
	if b > 12 {
		d.secondAbove12++
		if d.secondEx == nil {
			d.secondEx = &Example{File: file, Line: line, Raw: raw}
		}
	}
}

// layoutReading says how a configured layout reads day and month: it
// formats 23 November 2021 and looks where 23 and 11 land.
func layoutReading(layout string) string {
	switch layout {
	case mapping.LayoutExcel, mapping.LayoutExcel1904:
		return "excel"
	}
	s := time.Date(2021, time.November, 23, 21, 37, 49, 0, time.UTC).Format(layout)
	for i := 0; i < len(s); i++ {
		if i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
			continue
		}
		if a, b, yf, ok := numericDate(s[i:]); ok {
			order := "day-first"
			if a == 11 && b == 23 {
				order = "month-first"
			}
			if yf {
				order = "year-first, " + order
				if a == 11 {
					order = "year-first"
				}
			}
			return order
		}
	}
	if strings.Contains(s, "Nov") || strings.Contains(s, "November") {
		return "month name"
	}
	return "no numeric date"
}

func (d *dateEvidence) report(layouts []string) DateReport {
	r := DateReport{Field: d.field, Column: d.column, Values: d.values, Numeric: d.numeric,
		FirstAbove12: d.firstAbove12, SecondAbove12: d.secondAbove12, FirstExample: d.firstEx, SecondExample: d.secondEx}
	switch {
	case d.yearLast > 0 && d.yearFirst > 0:
		r.Order = "mixed"
	case d.yearLast > 0:
		r.Order = "year-last"
	case d.yearFirst > 0:
		r.Order = "year-first"
	}
	first, second := "day-first", "month-first" // what "the first number is a day" means
	if d.yearFirst > 0 && d.yearLast == 0 {
		first, second = "year-day-month", "year-month-day"
	}
	switch {
	case d.numeric == 0:
		r.DataSays = "n/a"
	case d.firstAbove12 > 0 && d.secondAbove12 > 0:
		r.DataSays = "mixed"
	case d.firstAbove12 > 0:
		r.DataSays = first
	case d.secondAbove12 > 0:
		r.DataSays = second
	default:
		r.DataSays = "either"
		// Year-first dates are year-month-day (ISO) in every export seen;
		// year-day-month is not worth a warning.
		r.Ambiguous = d.differ && d.yearLast > 0
	}
	readings := map[string]bool{}
	if len(layouts) == 0 {
		r.MappingUses = []string{"default layouts (year-first only: 2006-01-02 15:04:05 and the like)"}
		readings["year-first"] = true
	}
	for _, l := range layouts {
		rd := layoutReading(l)
		readings[rd] = true
		r.MappingUses = append(r.MappingUses, fmt.Sprintf("%q (%s)", l, rd))
	}
	if len(readings) == 1 {
		for k := range readings {
			r.MappingReading = k
		}
	} else {
		r.MappingReading = "mixed"
	}
	r.Verdict = d.verdict(r, first, second)
	return r
}

func (d *dateEvidence) verdict(r DateReport, first, second string) string {
	ex := func(e *Example) string {
		if e == nil {
			return ""
		}
		return fmt.Sprintf(" (e.g. line %d %q)", e.Line, e.Raw)
	}
	switch r.DataSays {
	case "n/a":
		return "no all-number dates: nothing to swap"
	case "mixed":
		return fmt.Sprintf("the data holds both orders: %d values can only be %s%s and %d only %s%s; the export mixes layouts",
			d.firstAbove12, first, ex(d.firstEx), d.secondAbove12, second, ex(d.secondEx))
	case "either":
		if !r.Ambiguous && d.yearLast == 0 {
			return fmt.Sprintf("year-first dates, read as year-month-day; the mapping reads %s", r.MappingReading)
		}
		if !d.differ {
			return fmt.Sprintf("no value above 12 in either position, but every value has day equal to month: the order cannot matter yet; the mapping reads %s", r.MappingReading)
		}
		return fmt.Sprintf("AMBIGUOUS: no value has a number above 12 in either position, so day and month could be swapped; the mapping reads %s; check with the customer or a sample that includes a day after the 12th", r.MappingReading)
	}
	proof := d.firstEx
	if r.DataSays == second {
		proof = d.secondEx
	}
	if r.MappingReading != "mixed" && !strings.Contains(r.MappingReading, strings.TrimSuffix(r.DataSays, "-first")) &&
		!(r.DataSays == "year-month-day" && r.MappingReading == "year-first") {
		return fmt.Sprintf("MISMATCH: the data is %s%s but the mapping reads %s", r.DataSays, ex(proof), r.MappingReading)
	}
	return fmt.Sprintf("the data is %s%s; the mapping reads %s", r.DataSays, ex(proof), r.MappingReading)
}
