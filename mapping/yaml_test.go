package mapping

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// decodeSpec decodes like the config loader: strict about unknown keys.
func decodeSpec(t *testing.T, src string) (Spec, error) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewBufferString(src))
	dec.KnownFields(true)
	var s Spec
	err := dec.Decode(&s)
	return s, err
}

func TestDecodeSpec(t *testing.T) {
	src := `
employee_key: { column: 1, transform: [trim, strip_leading_zeros, {add_prefix: "E"}] }
time:         { column: "Check Time", layouts: ["2006-01-02 15:04:05", excel] }
date:         "#3"
direction:
  column: State
  codes: { in: [0, 4], out: [1, "C/Out"], break_out: 2 }
  unknown: keep
device: { value: GATE-1, transform: [lower] }
`
	s, err := decodeSpec(t, src)
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{
		EmployeeKey: Field{Column: Column{Index: 1}, Line: 2, Transform: []Transform{
			{Kind: TransformTrim, Line: 2}, {Kind: TransformStripLeadingZeros, Line: 2}, {Kind: TransformAddPrefix, Arg: "E", Line: 2},
		}},
		Time: Field{Column: Column{Name: "Check Time"}, Layouts: []string{"2006-01-02 15:04:05", "excel"}, Line: 3},
		Date: &Field{Column: Column{Index: 3}, Line: 4},
		Direction: &DirectionField{
			Field:   Field{Column: Column{Name: "State"}, Line: 6},
			Codes:   map[Direction][]string{DirIn: {"0", "4"}, DirOut: {"1", "C/Out"}, DirBreakOut: {"2"}},
			Unknown: UnknownKeep,
		},
		Device: &Field{Value: "GATE-1", Transform: []Transform{{Kind: TransformLower, Line: 9}}, Line: 9},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("decoded\n%#v\nwant\n%#v", s, want)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}

func TestDecodeTransformForms(t *testing.T) {
	src := `
employee_key:
  column: ID
  transform:
    - {strip_prefix: "X"}
    - {strip_suffix: "@company"}
    - {add_suffix: "x"}
    - {regex: {pattern: '^E(\d+)$', replace: '$1'}}
    - {lookup: {"A1": "1001", 7: 1007}}
    - upper
time: 2
`
	s, err := decodeSpec(t, src)
	if err != nil {
		t.Fatal(err)
	}
	got := s.EmployeeKey.Transform
	want := []Transform{
		{Kind: TransformStripPrefix, Arg: "X", Line: 5},
		{Kind: TransformStripSuffix, Arg: "@company", Line: 6},
		{Kind: TransformAddSuffix, Arg: "x", Line: 7},
		{Kind: TransformRegex, Pattern: `^E(\d+)$`, Replace: "$1", Line: 8},
		{Kind: TransformLookup, Table: map[string]string{"A1": "1001", "7": "1007"}, Line: 9},
		{Kind: TransformUpper, Line: 10},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("transforms\n%#v\nwant\n%#v", got, want)
	}
	if s.Time.Column != (Column{Index: 2}) {
		t.Errorf("time column = %#v, want position 2", s.Time.Column)
	}
}

func TestDecodeSpecErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"unknown top key", "employee_key: 1\ntime: 2\nshift: 3\n", "line 3"},
		{"unknown field key", "employee_key: {column: 1, colum: 2}\ntime: 2\n", `line 1: unknown key "colum"`},
		{"unknown direction key", "employee_key: 1\ntime: 2\ndirection:\n  column: 3\n  code: {in: [0]}\n", `line 5: unknown key "code"`},
		{"unknown direction name", "employee_key: 1\ntime: 2\ndirection:\n  column: 3\n  codes: {inn: [0]}\n", `line 5: unknown direction "inn"`},
		{"unknown policy", "employee_key: 1\ntime: 2\ndirection: {column: 3, unknown: drop}\n", `line 3: unknown must be reject or keep, not "drop"`},
		{"unknown transform", "employee_key: {column: 1, transform: [trim, rtrim]}\ntime: 2\n", `line 1: unknown transform "rtrim"`},
		{"unknown transform map", "employee_key:\n  column: 1\n  transform:\n    - {replace: x}\ntime: 2\n", `line 4: unknown transform "replace"`},
		{"transform needs value", "employee_key: {column: 1, transform: [add_prefix]}\ntime: 2\n", "line 1: transform add_prefix needs a value"},
		{"transform takes none", "employee_key:\n  column: 1\n  transform: [{trim: true}]\ntime: 2\n", "line 3: transform trim takes no value"},
		{"two-key transform", "employee_key:\n  column: 1\n  transform: [{add_prefix: a, add_suffix: b}]\ntime: 2\n", "line 3: a transform map has exactly one key"},
		{"bad regex", "employee_key:\n  column: 1\n  transform:\n    - regex: {pattern: '(', replace: x}\ntime: 2\n", `line 4: regex pattern "(" does not compile`},
		{"regex unknown key", "employee_key:\n  column: 1\n  transform:\n    - regex: {pattern: 'a', with: x}\ntime: 2\n", `line 4: unknown key "with" in regex`},
		{"zero column", "employee_key: {column: 0}\ntime: 2\n", "line 1: column position 0 must be 1 or more"},
		{"float column", "employee_key: {column: 1.5}\ntime: 2\n", `line 1: column must be a header name or a 1-based position, not "1.5"`},
		{"list column", "employee_key: {column: [1]}\ntime: 2\n", "line 1: column must be a header name or a 1-based position, not a list"},
		{"blank column", "employee_key: {column: \"  \"}\ntime: 2\n", "line 1: column name is blank"},
		{"codes not map", "employee_key: 1\ntime: 2\ndirection: {column: 3, codes: [0, 1]}\n", "line 3: codes must be a map"},
		{"empty lookup", "employee_key:\n  column: 1\n  transform: [{lookup: {}}]\ntime: 2\n", "line 3: lookup table is empty"},
		{"null codes", "employee_key: 1\ntime: 2\ndirection:\n  column: 3\n  codes:\n    in:\n", "line 6: no codes given for in"},
		{"null code item", "employee_key: 1\ntime: 2\ndirection: {column: 3, codes: {in: [0, ~]}}\n", "line 3: a direction code is empty"},
		{"field as list", "employee_key: [1]\ntime: 2\n", "line 1: a mapped field must be a column or a map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeSpec(t, tt.src)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestFieldKeysMatchTags(t *testing.T) {
	var tags []string
	ft := reflect.TypeOf(Field{})
	for i := 0; i < ft.NumField(); i++ {
		tag := strings.Split(ft.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "-" {
			tags = append(tags, tag)
		}
	}
	if !reflect.DeepEqual(tags, fieldKeys) {
		t.Fatalf("fieldKeys = %v, Field's yaml tags = %v", fieldKeys, tags)
	}
}

func TestColumnRoundTrip(t *testing.T) {
	for _, c := range []Column{{Index: 4}, {Name: "Emp No"}} {
		out, err := yaml.Marshal(struct {
			C Column `yaml:"c"`
		}{c})
		if err != nil {
			t.Fatal(err)
		}
		var back struct {
			C Column `yaml:"c"`
		}
		if err := yaml.Unmarshal(out, &back); err != nil || back.C != c {
			t.Errorf("round trip of %#v via %q = %#v, %v", c, out, back.C, err)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}}}
	tests := []struct {
		name   string
		change func(*Spec)
		want   []string
	}{
		{"fine", func(*Spec) {}, nil},
		{"no key", func(s *Spec) { s.EmployeeKey = Field{} }, []string{"mapping.employee_key: column is required"}},
		{"constant key", func(s *Spec) { s.EmployeeKey = Field{Value: "x"} }, []string{"mapping.employee_key: value (a constant) is not allowed"}},
		{"both", func(s *Spec) { s.Device = &Field{Column: Column{Index: 3}, Value: "x"} }, []string{"mapping.device: give column or value, not both"}},
		{"no time", func(s *Spec) { s.Time = Field{} }, []string{"mapping.time: column is required"}},
		{"dotnet layout", func(s *Spec) { s.Time.Layout = "yyyy-MM-dd HH:mm:ss"; s.Time.Line = 4 }, []string{
			`mapping.time.layout (line 4): layout "yyyy-MM-dd HH:mm:ss" does not hold a date and a time of day`, ".NET/Java pattern"}},
		{"date-only layout for timestamp", func(s *Spec) { s.Time.Layouts = []string{"excel", "2006-01-02"} }, []string{"mapping.time.layouts[1]: layout \"2006-01-02\" does not hold a date and a time of day"}},
		{"clock layout with date", func(s *Spec) {
			s.Date = &Field{Column: Column{Index: 3}, Layout: "02/01/2006"}
			s.Time.Layout = "15:04"
		}, nil},
		{"date layout without day", func(s *Spec) { s.Date = &Field{Column: Column{Index: 3}, Layout: "15:04"} }, []string{"mapping.date.layout: layout \"15:04\" does not hold a date"}},
		{"layout on key", func(s *Spec) { s.EmployeeKey.Layout = "2006" }, []string{"mapping.employee_key.layout: layouts apply only to time and date"}},
		{"bad regex", func(s *Spec) {
			s.EmployeeKey.Transform = []Transform{{Kind: TransformTrim}, {Kind: TransformRegex, Pattern: "[", Line: 9}}
		}, []string{"mapping.employee_key.transform[1] (line 9): regex pattern \"[\" does not compile"}},
		{"duplicate code", func(s *Spec) {
			s.Direction = &DirectionField{Field: Field{Column: Column{Index: 3}}, Codes: map[Direction][]string{DirIn: {"0"}, DirOut: {" 0"}}}
		}, []string{"mapping.direction.codes: code \" 0\" is given for both in and out"}},
		{"bad direction", func(s *Spec) {
			s.Direction = &DirectionField{Field: Field{Column: Column{Index: 3}}, Codes: map[Direction][]string{"sideways": {"0"}}}
		}, []string{`mapping.direction.codes: unknown direction "sideways"`}},
		{"bad unknown policy", func(s *Spec) {
			s.Direction = &DirectionField{Field: Field{Column: Column{Index: 3}}, Unknown: "ignore"}
		}, []string{`mapping.direction.unknown: "ignore" is not reject or keep`}},
		{"constant direction not a code", func(s *Spec) {
			s.Direction = &DirectionField{Field: Field{Value: "entry"}}
		}, []string{`mapping.direction.value: "entry" is not one of the codes`}},
		{"constant direction", func(s *Spec) { s.Direction = &DirectionField{Field: Field{Value: "IN"}} }, nil},
		{"several at once", func(s *Spec) { s.EmployeeKey = Field{}; s.Time = Field{} }, []string{"employee_key: column is required", "time: column is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.change(&s)
			err := s.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate passed, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestDecodePadLeft(t *testing.T) {
	var ts []Transform
	if err := yaml.Unmarshal([]byte(`[{pad_left: {width: 5, char: "0"}}, {pad_left: {width: 3}}]`), &ts); err != nil {
		t.Fatal(err)
	}
	if ts[0].Width != 5 || ts[0].Char != "0" || ts[1].Char != "0" || ts[0].String() != `{pad_left: {width: 5, char: "0"}}` {
		t.Fatalf("%+v", ts)
	}
	for _, bad := range []string{`[pad_left]`, `[{pad_left: {width: 0}}]`, `[{pad_left: {width: 5, char: "00"}}]`, `[{pad_left: {width: x}}]`, `[{pad_left: {size: 5}}]`} {
		if err := yaml.Unmarshal([]byte(bad), &ts); err == nil || !strings.Contains(err.Error(), "pad_left") && !strings.Contains(err.Error(), "size") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}
