package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2024, 3, 10, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustBind(t testing.TB, s Spec, opt Options, header []string) *Binding {
	t.Helper()
	if opt.Now == nil {
		opt.Now = fixedClock
	}
	m, err := s.Compile(opt)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	b, err := m.Bind(header)
	if err != nil {
		t.Fatalf("Bind: %v", err)
	}
	return b
}

// headerSpec reads a typical exported CSV with a header row.
var headerSpec = Spec{
	EmployeeKey: Field{Column: Column{Name: "emp no"}, Transform: []Transform{{Kind: TransformTrim}, {Kind: TransformStripLeadingZeros}}},
	Time:        Field{Column: Column{Name: "CHECK TIME"}},
	Direction:   &DirectionField{Field: Field{Column: Column{Name: "State"}}, Codes: map[Direction][]string{DirIn: {"0", "4", "C/In"}, DirOut: {"1", "5"}}},
	Device:      &Field{Column: Column{Name: "Device"}},
}

var header = []string{"\uFEFFEmp  No", " Check Time ", "State", "Device"}

func row(line int, fields ...string) Row {
	return Row{Origin: Origin{Source: "gate", File: "att.csv", Line: line}, Header: header, Fields: fields}
}

func TestMapPunches(t *testing.T) {
	hcm := mustLoc(t, "Asia/Ho_Chi_Minh")
	tests := []struct {
		name string
		spec Spec
		opt  Options
		hdr  []string
		row  Row
		want Punch
	}{
		{
			name: "header row, zone applied",
			spec: headerSpec, opt: Options{Location: hcm}, hdr: header,
			row:  row(2, " 00042 ", "2024-03-01 08:30:15", "0", "G1"),
			want: Punch{SourceKey: "42", Time: time.Date(2024, 3, 1, 1, 30, 15, 0, time.UTC), Direction: DirIn, DeviceID: "G1"},
		},
		{
			name: "value's own offset wins over the source zone",
			spec: headerSpec, opt: Options{Location: hcm}, hdr: header,
			row:  row(2, "7", "2024-03-01T08:30:15+02:00", "1", "G1"),
			want: Punch{SourceKey: "7", Time: time.Date(2024, 3, 1, 6, 30, 15, 0, time.UTC), Direction: DirOut, DeviceID: "G1"},
		},
		{
			name: "fractional seconds truncated, code case-insensitive",
			spec: headerSpec, hdr: header,
			row:  row(2, "7", "2024-03-01 08:30:15.999", " c/in ", "G1"),
			want: Punch{SourceKey: "7", Time: time.Date(2024, 3, 1, 8, 30, 15, 0, time.UTC), Direction: DirIn, DeviceID: "G1"},
		},
		{
			name: "AM/PM layout, lower-case pm",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}, Layout: "01/02/2006 03:04:05 PM"}},
			row:  Row{Fields: []string{"9", "03/01/2024 08:30:00 pm"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 20, 30, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "AM/PM in mixed case with a month name",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}, Layout: "2-Jan-2006 3:04 PM"}},
			row:  Row{Fields: []string{"9", "1-mar-2024 8:30 Pm"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 20, 30, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "day-first layouts in order, second matches",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}, Layouts: []string{"02/01/2006 15:04:05", "02/01/2006 15:04"}}},
			row:  Row{Fields: []string{"9", "01/03/2024 08:30"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "excel serial, rounded",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}, Layout: "excel"}},
			row:  Row{Fields: []string{"9", "45352.35416666"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "date and time columns",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Date: &Field{Column: Column{Index: 2}}, Time: Field{Column: Column{Index: 3}}},
			opt:  Options{Location: hcm},
			row:  Row{Fields: []string{"9", "2024-03-01", "8:30"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 1, 30, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "excel date and excel time fraction",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Date: &Field{Column: Column{Index: 2}, Layout: "excel"}, Time: Field{Column: Column{Index: 3}, Layouts: []string{"15:04:05", "excel"}}},
			row:  Row{Fields: []string{"9", "45352", "0.3541666"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "excel time fraction rounding up to midnight rolls the day",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Date: &Field{Column: Column{Index: 2}}, Time: Field{Column: Column{Index: 3}, Layout: "excel"}},
			row:  Row{Fields: []string{"9", "2024-03-01", "0.999999999"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "time column holding a dummy-day datetime",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Date: &Field{Column: Column{Index: 2}}, Time: Field{Column: Column{Index: 3}}},
			row:  Row{Fields: []string{"9", "2024-03-01 00:00:00", "1899-12-30 17:05:00"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 17, 5, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "constant device and direction, transforms on the key",
			spec: Spec{
				EmployeeKey: Field{Column: Column{Index: 1}, Transform: []Transform{{Kind: TransformStripSuffix, Arg: "@company"}, {Kind: TransformUpper}}},
				Time:        Field{Column: Column{Index: 2}},
				Direction:   &DirectionField{Field: Field{Value: "out"}},
				Device:      &Field{Value: "gate-1", Transform: []Transform{{Kind: TransformUpper}}},
			},
			row:  Row{Fields: []string{"an@company", "2024-03-01 08:30"}},
			want: Punch{SourceKey: "AN", Time: time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC), Direction: DirOut, DeviceID: "GATE-1"},
		},
		{
			name: "unknown direction kept",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}}, Direction: &DirectionField{Field: Field{Column: Column{Index: 3}}, Codes: map[Direction][]string{DirIn: {"0"}}, Unknown: UnknownKeep}},
			row:  Row{Fields: []string{"9", "2024-03-01 08:30", "255"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC), Direction: DirUnknown},
		},
		{
			name: "direction names are the codes when none are given",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}}, Direction: &DirectionField{Field: Field{Column: Column{Index: 3}}}},
			row:  Row{Fields: []string{"9", "2024-03-01 08:30", "Break_Out"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 1, 8, 30, 0, 0, time.UTC), Direction: DirBreakOut},
		},
		{
			name: "within the future tolerance",
			spec: Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}}},
			row:  Row{Fields: []string{"9", "2024-03-10 12:09:59"}},
			want: Punch{SourceKey: "9", Time: time.Date(2024, 3, 10, 12, 9, 59, 0, time.UTC), Direction: DirUnknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustBind(t, tt.spec, tt.opt, tt.hdr)
			got, rej := b.Map(tt.row)
			if rej != nil {
				t.Fatalf("rejected: %v", rej)
			}
			tt.want.Origin = tt.row.Origin
			tt.want.Source = tt.row.Origin.Source
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if got.Time.Location() != time.UTC {
				t.Errorf("time location = %v, want UTC", got.Time.Location())
			}
		})
	}
}

func TestMapRejects(t *testing.T) {
	positional := Spec{
		EmployeeKey: Field{Column: Column{Index: 1}, Transform: []Transform{{Kind: TransformStripPrefix, Arg: "E"}}},
		Time:        Field{Column: Column{Index: 2}, Layout: "2006-01-02 15:04:05"},
		Direction:   &DirectionField{Field: Field{Column: Column{Index: 3}}, Codes: map[Direction][]string{DirIn: {"0"}, DirOut: {"1"}}},
	}
	split := Spec{
		EmployeeKey: Field{Column: Column{Index: 1}},
		Date:        &Field{Column: Column{Index: 2}, Layout: "02/01/2006"},
		Time:        Field{Column: Column{Index: 3}},
	}
	floor := Options{Floor: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name   string
		spec   Spec
		opt    Options
		hdr    []string
		row    Row
		code   Code
		field  string
		column string
		reason []string // all must appear
	}{
		{"reader error", headerSpec, Options{}, header,
			Row{Origin: Origin{Line: 3}, Fields: []string{"1", "x"}, Err: errors.New("unterminated quote")},
			InvalidRow, "", "", []string{"could not be read", "unterminated quote"}},
		{"NUL in the key", headerSpec, Options{}, header, row(3, "10\x0001", "2024-03-01 08:30:00", "0", "G1"),
			InvalidRow, FieldEmployeeKey, "Emp  No", []string{`employee_key column "Emp  No" holds a NUL byte`}},
		{"NUL in the device", headerSpec, Options{}, header, row(3, "1001", "2024-03-01 08:30:00", "0", "G\x001"),
			InvalidRow, FieldDevice, "Device", []string{`holds a NUL byte`}},
		{"blank key", headerSpec, Options{}, header, row(3, "  ", "2024-03-01 08:30:00", "0", "G1"),
			InvalidRow, FieldEmployeeKey, "Emp  No", []string{`employee_key column "Emp  No" is blank`}},
		{"key blank after transforms", positional, Options{}, nil, Row{Fields: []string{"E", "2024-03-01 08:30:00", "0"}},
			InvalidRow, FieldEmployeeKey, "#1", []string{`employee_key column #1 value "E" is blank after the transforms`}},
		{"short row", headerSpec, Options{}, header, row(3, "1", "2024-03-01 08:30:00"),
			InvalidRow, FieldDirection, "State", []string{`the row has 2 fields, so direction column "State" is missing`}},
		{"empty row", positional, Options{}, nil, Row{},
			InvalidRow, FieldEmployeeKey, "#1", []string{"the row has 0 fields", "column #1 is missing"}},
		{"unparseable time", headerSpec, Options{}, header, row(3, "1", "1/3/2024 8:30", "0", "G1"),
			InvalidTime, FieldTime, "Check Time", []string{`time column "Check Time" value "1/3/2024 8:30" is not a valid time`, `"2006-1-2 15:04:05"`, `"20060102150405"`}},
		{"impossible minute", positional, Options{}, nil, Row{Fields: []string{"1", "2024-03-01 14:67:13", "0"}},
			InvalidTime, FieldTime, "#2", []string{`time column #2 value "2024-03-01 14:67:13"`, "minute is out of range", `"2006-01-02 15:04:05"`}},
		{"impossible day", positional, Options{}, nil, Row{Fields: []string{"1", "2023-02-29 08:00:00", "0"}},
			InvalidTime, FieldTime, "#2", []string{"day is out of range"}},
		{"blank time", positional, Options{}, nil, Row{Fields: []string{"1", " ", "0"}},
			InvalidTime, FieldTime, "#2", []string{"time column #2 is blank"}},
		{"not a serial", Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}, Layout: "excel"}}, Options{}, nil,
			Row{Fields: []string{"1", "45352,5"}},
			InvalidTime, FieldTime, "#2", []string{`value "45352,5"`, `"excel"`}},
		{"before floor", positional, floor, nil, Row{Fields: []string{"1", "2019-12-31 23:59:59", "0"}},
			InvalidTime, FieldTime, "#2", []string{`value "2019-12-31 23:59:59"`, "before the earliest accepted time 2020-01-01T00:00:00Z"}},
		{"future", positional, Options{}, nil, Row{Fields: []string{"1", "2024-03-10 12:10:01", "0"}},
			FutureTime, FieldTime, "#2", []string{`time column #2 value "2024-03-10 12:10:01"`, "later than now plus 10m0s"}},
		{"future, own tolerance", positional, Options{FutureTolerance: time.Hour}, nil, Row{Fields: []string{"1", "2024-03-10 13:00:01", "0"}},
			FutureTime, FieldTime, "#2", []string{"later than now plus 1h0m0s"}},
		{"unknown direction", headerSpec, Options{}, header, row(3, "1", "2024-03-01 08:30:00", "9", "G1"),
			InvalidRow, FieldDirection, "State", []string{`direction column "State" value "9" is not one of the codes (in: 0, 4, C/In; out: 1, 5)`}},
		{"bad date", split, Options{}, nil, Row{Fields: []string{"1", "31/02/2024", "08:00"}},
			InvalidTime, FieldDate, "#2", []string{`date column #2 value "31/02/2024" is not a valid date`, "day is out of range", `"02/01/2006"`}},
		{"bad time of day", split, Options{}, nil, Row{Fields: []string{"1", "01/03/2024", "25:00"}},
			InvalidTime, FieldTime, "#3", []string{`time column #3 value "25:00" is not a valid time of day`, "hour is out of range"}},
		{"split future", split, Options{}, nil, Row{Fields: []string{"1", "11/03/2024", "08:00"}},
			FutureTime, FieldTime, "#3", []string{`date column #2 value "11/03/2024" and time column #3 value "08:00" make 2024-03-11T08:00:00Z, later than now`}},
		{"transformed time", Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}, Transform: []Transform{{Kind: TransformStripSuffix, Arg: "h"}}}}, Options{}, nil,
			Row{Fields: []string{"1", "2024-03-01 08h"}},
			InvalidTime, FieldTime, "#2", []string{`time column #2 value "2024-03-01 08h" ("2024-03-01 08" after the transforms) is not a valid time`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustBind(t, tt.spec, tt.opt, tt.hdr)
			p, rej := b.Map(tt.row)
			if rej == nil {
				t.Fatalf("mapped to %+v, want a %s reject", p, tt.code)
			}
			if rej.Code != tt.code || rej.Field != tt.field || rej.Column != tt.column {
				t.Errorf("code, field, column = %s, %q, %q; want %s, %q, %q", rej.Code, rej.Field, rej.Column, tt.code, tt.field, tt.column)
			}
			for _, w := range tt.reason {
				if !strings.Contains(rej.Reason, w) {
					t.Errorf("reason %q\nlacks %q", rej.Reason, w)
				}
			}
			if rej.Origin != tt.row.Origin {
				t.Errorf("origin = %+v, want %+v", rej.Origin, tt.row.Origin)
			}
			if !reflect.DeepEqual(rej.Raw, tt.row.Fields) {
				t.Errorf("raw = %q, want %q", rej.Raw, tt.row.Fields)
			}
			// A reject carries at most the key and the time, for the report.
			if rest := (Punch{SourceKey: p.SourceKey, Time: p.Time}); p != rest {
				t.Errorf("a reject also returned a punch: %+v", p)
			}
			if tt.field != FieldEmployeeKey && tt.field != "" && p.SourceKey == "" && tt.code != InvalidRow {
				t.Errorf("a %s reject lost the employee key", tt.field)
			}
		})
	}
}

func TestRejectRawIsACopy(t *testing.T) {
	b := mustBind(t, headerSpec, Options{}, header)
	fields := []string{"", "2024-03-01 08:30:00", "0", "G1"}
	_, rej := b.Map(Row{Fields: fields})
	if rej == nil {
		t.Fatal("want a reject")
	}
	fields[1] = "changed"
	if rej.Raw[1] != "2024-03-01 08:30:00" {
		t.Errorf("Raw shares the reader's slice: %q", rej.Raw)
	}
}

func TestBind(t *testing.T) {
	m, err := headerSpec.Compile(Options{Now: fixedClock})
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Bind(header)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"employee_key": "Emp  No", "time": "Check Time", "direction": "State", "device": "Device"}
	if got := b.Columns(); !reflect.DeepEqual(got, want) {
		t.Errorf("Columns() = %v, want %v", got, want)
	}

	pos := Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 3}}, Device: &Field{Value: "G"}}
	pb := mustBind(t, pos, Options{}, nil)
	if got := pb.Columns(); !reflect.DeepEqual(got, map[string]string{"employee_key": "#1", "time": "#3"}) {
		t.Errorf("positional Columns() = %v", got)
	}
	named := mustBind(t, pos, Options{}, []string{"ID", "Name", "When"})
	if got := named.Columns()["time"]; got != "When" {
		t.Errorf("position with a header binds to %q, want the header's name", got)
	}

	tests := []struct {
		name   string
		spec   Spec
		header []string
		want   []string
	}{
		{"missing column", headerSpec, []string{"ID", "Check Time", "State", "Device"},
			[]string{`mapping.employee_key: column "emp no" not found; columns found: "ID", "Check Time", "State", "Device"`}},
		{"two missing", headerSpec, []string{"ID"}, []string{`column "emp no" not found`, `column "CHECK TIME" not found`}},
		{"name without header", headerSpec, nil, []string{`column "emp no" is named, but the source has no header row`}},
		{"position past header", pos, []string{"ID", "Name"}, []string{`mapping.time: column #3 is past the 2 columns found: "ID", "Name"`}},
		{"duplicate header", headerSpec, []string{"Emp No", "emp  no", "Check Time", "State", "Device"},
			[]string{`column "emp no" appears twice in the header (#1 and #2)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.spec.Compile(Options{Now: fixedClock})
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Bind(tt.header)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Bind err = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestCompileOptions(t *testing.T) {
	s := Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}}}
	if _, err := s.Compile(Options{}); err == nil || !strings.Contains(err.Error(), "Now (the clock) is required") {
		t.Errorf("no clock: err = %v", err)
	}
	if _, err := s.Compile(Options{Now: fixedClock, FutureTolerance: -time.Second}); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("negative tolerance: err = %v", err)
	}
	if _, err := (Spec{}).Compile(Options{Now: fixedClock}); err == nil || !strings.Contains(err.Error(), "mapping.employee_key") {
		t.Errorf("invalid spec: err = %v", err)
	}
}

// The layout that worked last is tried first; a file that switches layout
// midway still parses every row.
func TestLayoutMemoryAcrossMixedRows(t *testing.T) {
	b := mustBind(t, Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}}}, Options{}, nil)
	values := []string{"2024-03-01 08:00:00", "2024-03-01T08:00:00Z", "20240301080000", "2024/03/01 08:00", "2024-03-01 08:00:00"}
	for _, v := range values {
		p, rej := b.Map(Row{Fields: []string{"1", v}})
		if rej != nil {
			t.Fatalf("%q: %v", v, rej)
		}
		if want := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC); !p.Time.Equal(want) {
			t.Errorf("%q → %v, want %v", v, p.Time, want)
		}
	}
}

// A Binding is shared by the importer's workers; run with -race to check.
func TestBindingConcurrentUse(t *testing.T) {
	b := mustBind(t, headerSpec, Options{}, header)
	values := []string{"2024-03-01 08:00:00", "2024-03-01T08:00:00Z", "2024/03/01 08:00"}
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 200; i++ {
				p, rej := b.Map(row(i, "1", values[(i+w)%len(values)], "0", "G"))
				if rej != nil || p.Time.Hour() != 8 {
					t.Errorf("row %d: %+v %v", i, p, rej)
					return
				}
			}
		}()
	}
	for w := 0; w < 4; w++ {
		<-done
	}
}

// TestDaylightSaving: a local time in the spring gap never happened and is
// invalid_time, naming the zone; one in the autumn overlap happened twice
// and is the first (the earlier offset), by the documented rule.
func TestDaylightSaving(t *testing.T) {
	spec := Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}}}
	opt := Options{Location: mustLoc(t, "Europe/Paris"), Now: func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }}
	b := mustBind(t, spec, opt, nil)
	_, rej := b.Map(Row{Fields: []string{"9", "2025-03-30 02:30:00"}})
	if rej == nil || rej.Code != InvalidTime || !strings.Contains(rej.Reason, "does not exist in Europe/Paris") {
		t.Fatalf("gap: %v, want invalid_time naming the zone", rej)
	}
	p, rej := b.Map(Row{Fields: []string{"9", "2025-10-26 02:30:00"}})
	if rej != nil || !p.Time.Equal(time.Date(2025, 10, 26, 0, 30, 0, 0, time.UTC)) {
		t.Fatalf("overlap: %v %v, want 00:30 UTC (02:30 on summer time, the first)", p.Time, rej)
	}
	if want := "the first occurrence (+02:00) was taken, not the second (+01:00)"; !strings.Contains(p.Note, want) || !strings.Contains(p.Note, "Europe/Paris") {
		t.Fatalf("overlap note %q, want it to say %q and name the zone", p.Note, want)
	}
	if p, _ := b.Map(Row{Fields: []string{"9", "2025-10-26 04:30:00"}}); p.Note != "" {
		t.Fatalf("a time after the overlap has a note: %q", p.Note)
	}
	dated := Spec{EmployeeKey: spec.EmployeeKey, Date: &Field{Column: Column{Index: 2}}, Time: Field{Column: Column{Index: 3}}}
	b = mustBind(t, dated, opt, nil)
	if _, rej := b.Map(Row{Fields: []string{"9", "2025-03-30", "02:30:00"}}); rej == nil || rej.Code != InvalidTime {
		t.Fatalf("gap with a date column: %v, want invalid_time", rej)
	}
	if p, rej := b.Map(Row{Fields: []string{"9", "2025-10-26", "02:30:00"}}); rej != nil || p.Note == "" {
		t.Fatalf("overlap with a date column: %+v %v, want a punch with the note", p, rej)
	}
}
