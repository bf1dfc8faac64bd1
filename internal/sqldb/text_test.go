package sqldb

import (
	"testing"
	"time"
)

func TestText(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	midnight := time.Date(2024, 3, 1, 0, 0, 0, 0, hcm)
	morning := time.Date(2024, 3, 1, 5, 30, 0, 0, hcm)
	directory := TextFormat{Dates: true, Zone: time.UTC}
	source := TextFormat{Zone: hcm, BoolDigits: true}
	cases := []struct {
		name string
		v    any
		f    TextFormat
		want string
	}{
		{"NULL", nil, TextFormat{}, ""},
		{"string", "E1 ", TextFormat{}, "E1 "},
		{"bytes (MySQL DECIMAL, TEXT)", []byte("12.50"), TextFormat{}, "12.50"},
		{"int64", int64(-42), TextFormat{}, "-42"},
		{"float64 whole", 1000000.0, TextFormat{}, "1000000"},
		{"float64 fraction", 0.25, TextFormat{}, "0.25"},
		{"bool", true, TextFormat{}, "true"},
		{"bool as a code", false, source, "0"},
		{"other types by fmt", int32(7), TextFormat{}, "7"},
		{"time as stored", morning, TextFormat{}, "2024-03-01 05:30:00"},
		{"midnight kept with its time", midnight, TextFormat{}, "2024-03-01 00:00:00"},
		{"directory date", midnight, directory, "2024-03-01"},
		{"directory time in UTC", morning, directory, "2024-02-29 22:30:00"},
		{"date only without zone", midnight, TextFormat{Dates: true}, "2024-03-01"},
		{"instant into the source's zone", morning.UTC(), source, "2024-03-01 05:30:00"},
		{"midnight not a date for punches", midnight.UTC(), source, "2024-03-01 00:00:00"},
	}
	for _, tc := range cases {
		if got := Text(tc.v, tc.f); got != tc.want {
			t.Errorf("%s: Text(%#v) = %q, want %q", tc.name, tc.v, got, tc.want)
		}
	}
}
