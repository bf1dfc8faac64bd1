package mapping

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Spec is the `mapping:` section of a source in the YAML config.
//
//	mapping:
//	  employee_key: { column: 1, transform: [trim, strip_leading_zeros] }
//	  time:         { column: "Check Time", layout: "2006-01-02 15:04:05" }
//	  direction:    { column: 4, codes: { in: [0, 4], out: [1, 5] } }
//	  device:       { value: GATE-1 }
//
// A field may also be written as just its column: `employee_key: 1` or
// `employee_key: "Emp No"`.
type Spec struct {
	EmployeeKey Field           `yaml:"employee_key"`
	Time        Field           `yaml:"time"` // full timestamp; or time of day when Date is set
	Date        *Field          `yaml:"date,omitempty"`
	Direction   *DirectionField `yaml:"direction,omitempty"`
	Device      *Field          `yaml:"device,omitempty"`
}

// Field says where one mapped value comes from and how to clean it.
type Field struct {
	Column    Column      `yaml:"column,omitempty"` // header name (string) or 1-based position (int)
	Value     string      `yaml:"value,omitempty"`  // a constant instead of a column (e.g. device id)
	Transform []Transform `yaml:"transform,omitempty"`
	Layout    string      `yaml:"layout,omitempty"`
	Layouts   []string    `yaml:"layouts,omitempty"` // tried in order, after Layout
	Line      int         `yaml:"-"`                 // YAML line it came from; 0 when built in code
}

// fieldKeys are Field's YAML keys; the custom decoders check against them.
var fieldKeys = []string{"column", "value", "transform", "layout", "layouts"}

// Column is a header name or a 1-based position. YAML int → Index,
// YAML string → Name; the string "#3" is position 3 too (the form rejects
// use), so a column copied from a report works in the config.
type Column struct {
	Name  string
	Index int
}

// IsZero reports whether no column was given.
func (c Column) IsZero() bool { return c.Name == "" && c.Index == 0 }

// String is the column as messages show it: "Emp No" quoted, or #3.
func (c Column) String() string {
	if c.Name != "" {
		return strconv.Quote(c.Name)
	}
	return "#" + strconv.Itoa(c.Index)
}

// DirectionField maps a column's codes to directions.
type DirectionField struct {
	Field   `yaml:",inline"`
	Codes   map[Direction][]string `yaml:"codes"`   // in: [0, 4], out: [1, 5], or "C/In" ...; YAML ints or strings
	Unknown string                 `yaml:"unknown"` // "reject" (default) or "keep" (→ DirUnknown)
}

// Values of DirectionField.Unknown.
const (
	UnknownReject = "reject"
	UnknownKeep   = "keep"
)

// UnknownModes are the values DirectionField.Unknown accepts ("" is reject).
var UnknownModes = []string{UnknownReject, UnknownKeep}

func unknownModeList() string { return strings.Join(UnknownModes, " or ") }

// Field names as they appear in Reject.Field, Binding.Columns and errors.
const (
	FieldEmployeeKey = "employee_key"
	FieldTime        = "time"
	FieldDate        = "date"
	FieldDirection   = "direction"
	FieldDevice      = "device"
)

// Layout tokens that are not Go reference layouts.
const (
	LayoutExcel     = "excel"     // Excel serial number, 1900 date system
	LayoutExcel1904 = "excel1904" // Excel serial number, 1904 date system (old Mac workbooks)
)

// Validate checks the spec without a header: required fields present,
// transforms and regexes compile, layouts are Go reference layouts,
// direction codes are unambiguous. All problems are returned together;
// each names its key (mapping.time.layouts[1]) and YAML line when known.
func (s Spec) Validate() error {
	var errs []error
	errs = append(errs, s.EmployeeKey.validate(FieldEmployeeKey, fieldRules{columnOnly: true})...)
	timeKind := kindTimestamp
	if s.Date != nil {
		timeKind = kindClock
		errs = append(errs, s.Date.validate(FieldDate, fieldRules{columnOnly: true, layouts: true, kind: kindDate})...)
	}
	errs = append(errs, s.Time.validate(FieldTime, fieldRules{columnOnly: true, layouts: true, kind: timeKind})...)
	if s.Device != nil {
		errs = append(errs, s.Device.validate(FieldDevice, fieldRules{})...)
	}
	if s.Direction != nil {
		errs = append(errs, s.Direction.validate()...)
	}
	return errors.Join(errs...)
}

type fieldRules struct {
	columnOnly bool // a constant makes no sense (employee key, time)
	layouts    bool
	kind       timeKind
}

func (f Field) validate(name string, r fieldRules) []error {
	var errs []error
	key := "mapping." + name
	bad := func(sub, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s%s%s: %s", key, sub, atLine(f.Line), fmt.Sprintf(format, args...)))
	}
	switch {
	case !f.Column.IsZero() && f.Value != "":
		bad("", "give column or value, not both")
	case f.Column.IsZero() && f.Value == "" && r.columnOnly:
		bad("", "column is required")
	case f.Column.IsZero() && f.Value == "":
		bad("", "column or value is required")
	case f.Value != "" && r.columnOnly:
		bad("", "value (a constant) is not allowed here; name a column")
	}
	if f.Column.Index < 0 {
		bad(".column", "position %d is not 1-based", f.Column.Index)
	}
	if f.Column.Name != "" && NormalizeHeader(f.Column.Name) == "" {
		bad(".column", "column name is blank")
	}
	for i, t := range f.Transform {
		if _, err := compileTransform(t); err != nil {
			errs = append(errs, fmt.Errorf("%s.transform[%d]%s: %w", key, i, atLine(t.Line), err))
		}
	}
	if !r.layouts {
		if f.Layout != "" || len(f.Layouts) > 0 {
			bad(".layout", "layouts apply only to time and date")
		}
		return errs
	}
	if f.Layout != "" {
		if err := checkLayout(f.Layout, r.kind); err != nil {
			bad(".layout", "%v", err)
		}
	}
	for i, l := range f.Layouts {
		if err := checkLayout(l, r.kind); err != nil {
			bad(fmt.Sprintf(".layouts[%d]", i), "%v", err)
		}
	}
	return errs
}

func (d DirectionField) validate() []error {
	errs := d.Field.validate(FieldDirection, fieldRules{})
	key := "mapping.direction"
	if d.Unknown != "" && !slices.Contains(UnknownModes, d.Unknown) {
		errs = append(errs, fmt.Errorf("%s.unknown%s: %q is not %s", key, atLine(d.Line), d.Unknown, unknownModeList()))
	}
	if _, err := compileCodes(d.Codes); err != nil {
		errs = append(errs, fmt.Errorf("%s.codes%s: %w", key, atLine(d.Line), err))
	}
	if d.Value != "" {
		codes, _ := compileCodes(d.Codes)
		tf, _ := CompileTransforms(d.Transform)
		if _, ok := codes.lookup(tf.Apply(d.Value)); !ok {
			errs = append(errs, fmt.Errorf("%s.value%s: %q is not one of the codes (%s)", key, atLine(d.Line), d.Value, codes.describe()))
		}
	}
	return errs
}

func knownDirection(d Direction) bool {
	for _, k := range Directions {
		if d == k {
			return true
		}
	}
	return false
}

func directionList() string {
	names := make([]string, len(Directions))
	for i, d := range Directions {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}

// checkLayout makes sure a layout is a Go reference layout that holds what
// the field needs, by formatting a sample time with it and parsing it back.
// The usual mistake is a .NET/Java pattern ("yyyy-MM-dd HH:mm:ss"), which
// Go treats as literal text.
func checkLayout(layout string, kind timeKind) error {
	if layout == LayoutExcel || layout == LayoutExcel1904 {
		return nil
	}
	if strings.TrimSpace(layout) == "" {
		return errors.New("layout is blank")
	}
	sample := time.Date(2021, time.November, 23, 21, 37, 49, 0, time.UTC)
	back, err := time.Parse(layout, sample.Format(layout))
	ok := err == nil
	var needs string
	switch kind {
	case kindTimestamp:
		needs = "a date and a time of day"
		ok = ok && back.Year() == 2021 && back.Month() == time.November && back.Day() == 23 &&
			back.Hour() == 21 && back.Minute() == 37
	case kindDate:
		needs = "a date"
		ok = ok && back.Year() == 2021 && back.Month() == time.November && back.Day() == 23
	case kindClock:
		needs = "a time of day"
		ok = ok && back.Hour() == 21 && back.Minute() == 37
	}
	if hint := literalDigitsHint(layout); hint != "" {
		return errors.New(hint)
	}
	if ok {
		return nil
	}
	msg := fmt.Sprintf("layout %q does not hold %s; Go layouts are written with the reference time 2006-01-02 15:04:05 (e.g. \"02/01/2006 15:04:05\", \"01/02/2006 03:04:05 PM\") or the token %q", layout, needs, LayoutExcel)
	if looksLikeDotNetPattern(layout) {
		msg += "; this looks like a .NET/Java pattern (yyyy, MM, dd, HH, mm, ss)"
	}
	return errors.New(msg)
}

func looksLikeDotNetPattern(layout string) bool {
	for _, p := range []string{"yyyy", "YYYY", "yy", "dd", "DD", "HH", "hh", "mm", "ss"} {
		if strings.Contains(layout, p) {
			return true
		}
	}
	return false
}
