package mapping

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// FuzzMap feeds arbitrary cells through specs that exercise every path
// (defaults, explicit and AM/PM layouts, Excel serials, split date and
// time, transforms, codes, a DST zone). It must never panic, and every
// outcome is either a UTC punch truncated to the second or a reject with
// a code and reason.
func FuzzMap(f *testing.F) {
	seeds := [][4]string{
		{"00042", "2024-03-01 08:30:15", "0", "45352.35416666"},
		{" E7 ", "2024-03-01T08:30:15+07:00", "C/In", "0.5"},
		{"", "", "", ""},
		{"1", "2024-03-01 14:67:13", "9", "1e400"},
		{"1", "03/01/2024 08:30:00 pm", "out", "2958466"},
		{"1", "2024-03-10 02:30:00", "1", "60"},
		{"\uFEFF", "\xff\xfe", "\x00", "-0"},
		{"1", "99999999999999", "4", "0.99999999999"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2], s[3], uint8(4))
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	codes := map[Direction][]string{DirIn: {"0", "4", "C/In"}, DirOut: {"1", "5"}}
	keyTf := []Transform{
		{Kind: TransformTrim}, {Kind: TransformStripPrefix, Arg: "E"}, {Kind: TransformStripLeadingZeros},
		{Kind: TransformRegex, Pattern: `[^0-9A-Za-z]`, Replace: ""}, {Kind: TransformLookup, Table: map[string]string{"7": "1007"}},
	}
	specs := []Spec{
		{EmployeeKey: Field{Column: Column{Index: 1}, Transform: keyTf}, Time: Field{Column: Column{Index: 2}},
			Direction: &DirectionField{Field: Field{Column: Column{Index: 3}}, Codes: codes}, Device: &Field{Column: Column{Index: 4}}},
		{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 4}, Layouts: []string{"excel", "excel1904", "01/02/2006 03:04:05 PM"}},
			Direction: &DirectionField{Field: Field{Column: Column{Index: 3}}, Unknown: UnknownKeep}},
		{EmployeeKey: Field{Column: Column{Index: 1}}, Date: &Field{Column: Column{Index: 2}, Layouts: []string{"2006-01-02", "excel"}},
			Time: Field{Column: Column{Index: 4}, Layouts: []string{"excel", "15:04:05", "3:04 PM"}}},
		{EmployeeKey: Field{Column: Column{Index: 1}}, Date: &Field{Column: Column{Index: 2}}, Time: Field{Column: Column{Index: 3}}},
	}
	var bindings []*Binding
	for _, s := range specs {
		m, err := s.Compile(Options{Location: ny, Floor: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), Now: fixedClock})
		if err != nil {
			f.Fatal(err)
		}
		b, err := m.Bind(nil)
		if err != nil {
			f.Fatal(err)
		}
		bindings = append(bindings, b)
	}
	f.Fuzz(func(t *testing.T, key, when, dir, extra string, width uint8) {
		fields := []string{key, when, dir, extra}
		fields = fields[:int(width)%5]
		for _, b := range bindings {
			p, rej := b.Map(Row{Fields: fields})
			if rej != nil {
				if rej.Code == "" || rej.Reason == "" {
					t.Fatalf("reject without code or reason: %+v", rej)
				}
				continue
			}
			if p.Time.Location() != time.UTC || p.Time.Nanosecond() != 0 {
				t.Fatalf("time %v is not UTC to the second", p.Time)
			}
			if strings.TrimSpace(p.SourceKey) == "" {
				t.Fatalf("punch with a blank key from %q", fields)
			}
		}
		_, _ = ParseExcelSerial(extra, width%2 == 0)
		_ = NormalizeHeader(key)
	})
}

// FuzzDecodeSpec: any YAML gives a Spec or an error, never a panic, and a
// Spec that validates also compiles.
func FuzzDecodeSpec(f *testing.F) {
	f.Add("employee_key: {column: 1, transform: [trim, {regex: {pattern: 'a', replace: b}}]}\ntime: {column: x, layout: excel}\n")
	f.Add("employee_key: 1\ntime: 2\ndirection: {column: 3, codes: {in: [0, 4], out: 1}, unknown: keep}\n")
	f.Add("employee_key: &a {column: 1}\ntime: *a\ndevice: {value: x}\n")
	f.Fuzz(func(t *testing.T, src string) {
		dec := yaml.NewDecoder(bytes.NewBufferString(src))
		dec.KnownFields(true)
		var s Spec
		if err := dec.Decode(&s); err != nil {
			return
		}
		if s.Validate() != nil {
			return
		}
		if _, err := s.Compile(Options{Now: fixedClock}); err != nil {
			t.Fatalf("validated spec does not compile: %v", err)
		}
	})
}
