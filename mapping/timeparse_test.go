package mapping

import (
	"testing"
	"time"
	_ "time/tzdata" // zones for the tests, even where the OS has none
)

func TestParseExcelSerial(t *testing.T) {
	tests := []struct {
		in       string
		date1904 bool
		want     string // RFC 3339 in UTC, "" = refused
	}{
		{"45352", false, "2024-03-01T00:00:00Z"},
		{"45352.3541666667", false, "2024-03-01T08:30:00Z"},
		{"45352.35416666", false, "2024-03-01T08:30:00Z"},       // stored a hair low: rounds, not truncates
		{"45352.354166672", false, "2024-03-01T08:30:00Z"},      // a hair high
		{"45352.999999999", false, "2024-03-02T00:00:00Z"},      // rounds into the next day
		{"4.5352354166666664E4", false, "2024-03-01T08:30:00Z"}, // exponent form
		{" 45352.5 ", false, "2024-03-01T12:00:00Z"},
		{"1", false, "1900-01-01T00:00:00Z"},
		{"59", false, "1900-02-28T00:00:00Z"},
		{"60", false, ""}, // the 29 February 1900 that never was
		{"61", false, "1900-03-01T00:00:00Z"},
		{"2958465", false, "9999-12-31T00:00:00Z"},
		{"2958466", false, ""},
		{"0", false, ""},
		{"0.5", false, ""},
		{"0", true, "1904-01-01T00:00:00Z"},
		{"43890.25", true, "2024-03-01T06:00:00Z"}, // 1462 days behind the 1900 system
		{"-1", false, ""},
		{"", false, ""},
		{"abc", false, ""},
		{"NaN", false, ""},
		{"Inf", false, ""},
		{"0x1p16", false, ""},
		{"1e400", false, ""},
		{"2024-03-01", false, ""},
	}
	for _, tt := range tests {
		got, ok := ParseExcelSerial(tt.in, tt.date1904)
		if tt.want == "" {
			if ok {
				t.Errorf("ParseExcelSerial(%q, %v) = %v, want refused", tt.in, tt.date1904, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339) != tt.want || got.Location() != time.UTC {
			t.Errorf("ParseExcelSerial(%q, %v) = %v, %v; want %s", tt.in, tt.date1904, got, ok, tt.want)
		}
	}
}

func TestResolveWallDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		wall time.Time
		loc  *time.Location
		want string
	}{
		{"no DST zone", time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC), hcm, "2024-03-01T01:00:00Z"},
		{"winter", time.Date(2024, 1, 15, 8, 0, 0, 0, time.UTC), ny, "2024-01-15T13:00:00Z"},
		{"summer", time.Date(2024, 7, 15, 8, 0, 0, 0, time.UTC), ny, "2024-07-15T12:00:00Z"},
		{"just before the gap", time.Date(2024, 3, 10, 1, 59, 59, 0, time.UTC), ny, "2024-03-10T06:59:59Z"},
		{"in the gap: moved forward", time.Date(2024, 3, 10, 2, 30, 0, 0, time.UTC), ny, "2024-03-10T07:30:00Z"},
		{"after the gap", time.Date(2024, 3, 10, 3, 0, 0, 0, time.UTC), ny, "2024-03-10T07:00:00Z"},
		{"overlap: first occurrence", time.Date(2024, 11, 3, 1, 30, 0, 0, time.UTC), ny, "2024-11-03T05:30:00Z"},
		{"after the overlap", time.Date(2024, 11, 3, 2, 0, 0, 0, time.UTC), ny, "2024-11-03T07:00:00Z"},
		{"before the overlap", time.Date(2024, 11, 3, 0, 59, 0, 0, time.UTC), ny, "2024-11-03T04:59:00Z"},
		{"UTC", time.Date(2024, 11, 3, 1, 30, 0, 0, time.UTC), time.UTC, "2024-11-03T01:30:00Z"},
		{"fixed zone", time.Date(2024, 11, 3, 1, 30, 0, 0, time.UTC), time.FixedZone("", 5*3600+1800), "2024-11-02T20:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := resolveWall(tt.wall, tt.loc).Format(time.RFC3339); got != tt.want {
				t.Errorf("resolveWall(%v, %v) = %s, want %s", tt.wall, tt.loc, got, tt.want)
			}
		})
	}
}

func TestDefaultLayouts(t *testing.T) {
	tests := []struct {
		kind timeKind
		in   string
		want string // time.DateTime of the parsed wall clock or instant (UTC), "" = no match
	}{
		{kindTimestamp, "2024-03-01 08:30:15", "2024-03-01 08:30:15"},
		{kindTimestamp, "2024-3-1 8:30:15", "2024-03-01 08:30:15"},
		{kindTimestamp, "2024-03-01T08:30:15", "2024-03-01 08:30:15"},
		{kindTimestamp, "2024-03-01T08:30:15.987", "2024-03-01 08:30:15"},
		{kindTimestamp, "2024-03-01T08:30:15Z", "2024-03-01 08:30:15"},
		{kindTimestamp, "2024-03-01T08:30:15+07:00", "2024-03-01 01:30:15"},
		{kindTimestamp, "2024-03-01T08:30:15.5+0700", "2024-03-01 01:30:15"},
		{kindTimestamp, "2024-03-01 08:30:15+07", "2024-03-01 01:30:15"},
		{kindTimestamp, "2024-03-01 08:30:15-05:00", "2024-03-01 13:30:15"},
		{kindTimestamp, "2024-03-01 08:30", "2024-03-01 08:30:00"},
		{kindTimestamp, "2024/03/01 08:30:15", "2024-03-01 08:30:15"},
		{kindTimestamp, "2024/03/01 08:30", "2024-03-01 08:30:00"},
		{kindTimestamp, "20240301083015", "2024-03-01 08:30:15"},
		{kindTimestamp, "01/03/2024 08:30:15", ""}, // day/month order is never guessed
		{kindTimestamp, "03/01/2024 08:30:15", ""},
		{kindTimestamp, "45352.5", ""}, // serials only when asked for
		{kindTimestamp, "2024-03-01", ""},
		{kindDate, "2024-03-01", "2024-03-01 00:00:00"},
		{kindDate, "2024/3/1", "2024-03-01 00:00:00"},
		{kindDate, "2024-03-01 00:00:00", "2024-03-01 00:00:00"},
		{kindDate, "01.03.2024", ""},
		{kindClock, "08:30:15", "0000-01-01 08:30:15"},
		{kindClock, "8:30", "0000-01-01 08:30:00"},
		{kindClock, "8:30:15 PM", "0000-01-01 20:30:15"},
		{kindClock, "8:30 am", "0000-01-01 08:30:00"},
		{kindClock, "12:05 AM", "0000-01-01 00:05:00"},
		{kindClock, "1899-12-30 08:30:00", "1899-12-30 08:30:00"},
		{kindClock, "0.5", ""},
	}
	for _, tt := range tests {
		p := newTimeParser(tt.kind, nil)
		r, ok := p.parse(tt.in, time.UTC)
		got := ""
		if ok {
			got = r.t.UTC().Format(time.DateTime)
		}
		if got != tt.want {
			t.Errorf("kind %d parse(%q) = %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}

func TestCheckLayoutAcceptsCommonLayouts(t *testing.T) {
	for _, l := range []string{
		"2006-01-02 15:04:05", "02/01/2006 15:04:05", "01/02/2006 03:04:05 PM", "01/02/2006 3:04:05 pm",
		"2-Jan-2006 15:04", "20060102150405", time.RFC3339, "02.01.06 15:04", "excel", "excel1904",
	} {
		if err := checkLayout(l, kindTimestamp); err != nil {
			t.Errorf("checkLayout(%q): %v", l, err)
		}
	}
	for _, l := range []string{"", "yyyy-MM-dd HH:mm:ss", "15:04:05", "2006-01-02", "dd/MM/yyyy"} {
		if err := checkLayout(l, kindTimestamp); err == nil {
			t.Errorf("checkLayout(%q) passed, want an error", l)
		}
	}
}
