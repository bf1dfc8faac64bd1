package mapping

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var digitTimeCases = []string{
	"2024-03-01 08:30:15",
	"2024-03-01T08:30:15",
	"2024/03/01 08:30:15",
	"0000-01-01 00:00:00",
	"9999-12-31 23:59:59",
	"2024-02-29 12:00:00", // leap year
	"2023-02-29 12:00:00", // not one
	"1900-02-29 12:00:00", // not one either
	"2000-02-29 12:00:00", // but this is
	"2024-04-31 12:00:00",
	"2024-03-01 14:67:13", // minute out of range
	"2024-03-01 24:00:00",
	"2024-03-01 23:59:60",
	"2024-13-01 08:30:15",
	"2024-00-01 08:30:15",
	"2024-03-00 08:30:15",
	"2024-3-1 08:30:15",     // one-digit month and day
	"2024-03-01 8:30:15",    // one-digit hour
	"2024-03-01 08:30:15.5", // a fraction time.Parse accepts
	"2024-03-01 08:30:1x",
	"2024-03-01 08:30",
	"+024-03-01 08:30:15",
	"2024-03-01 08:30:15 ",
	"2024/03-01 08:30:15",
	"",
}

// TestParseDigitsMatchesTimeParse: through the timeParser, every value in
// a digit layout gives the time, or the error, time.Parse gives.
func TestParseDigitsMatchesTimeParse(t *testing.T) {
	for _, layout := range digitLayouts {
		p := newTimeParser(kindTimestamp, []string{layout})
		if !p.layouts[0].digits {
			t.Fatalf("layout %q is not read by parseDigits", layout)
		}
		for _, value := range digitTimeCases {
			checkDigitParse(t, p, layout, value)
		}
	}
}

func TestParseDigitsFastPath(t *testing.T) {
	got, ok := parseDigits("2006-01-02 15:04:05", "2024-03-01 08:30:15")
	if want := time.Date(2024, 3, 1, 8, 30, 15, 0, time.UTC); !ok || got != want {
		t.Errorf("parseDigits = %v, %v; want %v", got, ok, want)
	}
	if _, ok := parseDigits("2006-01-02 15:04:05", "2024-03-01 14:67:13"); ok {
		t.Error("parseDigits accepted minute 67")
	}
	if newLayout("2006-01-02 15:04").digits || newLayout("02/01/2006 15:04:05").digits {
		t.Error("parseDigits claims a layout it cannot read")
	}
}

func TestParseDigitsReason(t *testing.T) {
	p := newTimeParser(kindTimestamp, []string{"2006-01-02 15:04:05"})
	want := `it fits a layout but the minute is out of range; layouts tried: "2006-01-02 15:04:05"`
	if got := p.explain("2024-03-01 14:67:13", time.UTC); got != want {
		t.Errorf("explain = %q\nwant      %q", got, want)
	}
}

// FuzzParseDigits: parseDigits never disagrees with time.Parse.
func FuzzParseDigits(f *testing.F) {
	for _, v := range digitTimeCases {
		f.Add(v)
	}
	parsers := make([]*timeParser, len(digitLayouts))
	for i, layout := range digitLayouts {
		parsers[i] = newTimeParser(kindTimestamp, []string{layout})
	}
	f.Fuzz(func(t *testing.T, value string) {
		for i, layout := range digitLayouts {
			checkDigitParse(t, parsers[i], layout, value)
		}
	})
}

// FuzzParseDigitsFields writes zero-padded values, in range or not, so
// that the fuzzer reaches the month lengths and leap years quickly.
func FuzzParseDigitsFields(f *testing.F) {
	f.Add(uint16(2024), uint8(2), uint8(29), uint8(23), uint8(59), uint8(59))
	f.Add(uint16(1900), uint8(2), uint8(29), uint8(14), uint8(67), uint8(13))
	parsers := make([]*timeParser, len(digitLayouts))
	for i, layout := range digitLayouts {
		parsers[i] = newTimeParser(kindTimestamp, []string{layout})
	}
	f.Fuzz(func(t *testing.T, year uint16, month, day, hour, minute, sec uint8) {
		date := fmt.Sprintf("%04d-%02d-%02d", year%10000, month%100, day%100)
		clock := fmt.Sprintf("%02d:%02d:%02d", hour%100, minute%100, sec%100)
		for i, layout := range digitLayouts {
			d := strings.ReplaceAll(date, "-", layout[4:5])
			checkDigitParse(t, parsers[i], layout, d+layout[len(layout)-9:len(layout)-8]+clock)
		}
	})
}

func checkDigitParse(t *testing.T, p *timeParser, layout, value string) {
	t.Helper()
	want, wantErr := time.Parse(layout, value)
	got, err := p.tryErr(0, value, time.UTC)
	if (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("%q in %q: error %v, time.Parse says %v", value, layout, err, wantErr)
	}
	if got.t != want || got.zoned {
		t.Fatalf("%q in %q: %v (zoned %v), time.Parse says %v", value, layout, got.t, got.zoned, want)
	}
	if fast, ok := parseDigits(layout, value); ok && fast != want {
		t.Fatalf("%q in %q: parseDigits %v, time.Parse says %v", value, layout, fast, want)
	}
}
