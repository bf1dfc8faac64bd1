package mapcheck

import (
	"testing"

	"github.com/hrsync/hrsync/mapping"
)

func TestNumericDate(t *testing.T) {
	tests := []struct {
		in        string
		a, b      int
		yearFirst bool
		ok        bool
	}{
		{"03/04/2025 08:00", 3, 4, false, true},
		{"13.01.2025", 13, 1, false, true},
		{"2025-04-03 08:00:00", 4, 3, true, true},
		{"2025-04-03T08:00:00", 4, 3, true, true},
		{"1/13/25 8:00 AM", 1, 13, false, true},
		{"45669.33", 0, 0, false, false},
		{"Jan 3 2025", 0, 0, false, false},
		{"", 0, 0, false, false},
	}
	for _, tc := range tests {
		a, b, yf, ok := numericDate(tc.in)
		if a != tc.a || b != tc.b || yf != tc.yearFirst || ok != tc.ok {
			t.Errorf("%q: %d %d %v %v", tc.in, a, b, yf, ok)
		}
	}
}

func TestLayoutReading(t *testing.T) {
	tests := map[string]string{
		"02/01/2006 15:04": "day-first", "2/1/2006": "day-first", "01/02/2006 03:04 PM": "month-first",
		"2006-01-02 15:04:05": "year-first", "excel": "excel", "Jan 2 2006": "month name",
	}
	for layout, want := range tests {
		if got := layoutReading(layout); got != want {
			t.Errorf("%q: %s, want %s", layout, got, want)
		}
	}
}

func TestDerive(t *testing.T) {
	tests := []struct {
		src, dir   string
		source     string
		directory  string
		impossible bool
	}{
		{"1001@company", "1001", `[{strip_suffix: "@company"}]`, "[]", false},
		{"001001", "1001", "[strip_leading_zeros]", "[]", false},
		{"E001001", "1001", `[{strip_prefix: "E"}, strip_leading_zeros]`, "[]", false},
		{"1001", "E1001", `[{add_prefix: "E"}]`, "[]", false},
		{"1001", "001001", `[{pad_left: {width: 6, char: "0"}}]`, "[]", false},
		{"181@acmevn", "00181", `[{strip_suffix: "@acmevn"}, {pad_left: {width: 5, char: "0"}}]`, "[]", false},
		{"SITE-0042", "42", `[{strip_prefix: "SITE-"}, strip_leading_zeros]`, "[]", false},
		{" 1001 ", "1001", "[trim]", "[]", false},
		{"ab12", "AB12", "[upper]", "[]", false},
		{"10 01", "1001", `[{regex: {pattern: "\\s+", replace: ""}}]`, "[]", false},
		{"1001", "2002", "", "", true},
	}
	for _, tc := range tests {
		p, ok := derive(tc.src, tc.dir)
		if ok == tc.impossible {
			t.Errorf("%q→%q: ok = %v", tc.src, tc.dir, ok)
			continue
		}
		if ok && (transformsYAML(p.source) != tc.source || transformsYAML(p.dir) != tc.directory) {
			t.Errorf("%q→%q: %s / %s", tc.src, tc.dir, transformsYAML(p.source), transformsYAML(p.dir))
		}
	}
}

func TestNearFinderChecksWithTheRealLookup(t *testing.T) {
	emps := []mapping.Employee{{ID: "E1", AttendanceNo: "1001"}, {ID: "E2", AttendanceNo: "1002"}}
	byKey := map[string]*mapping.Employee{"1001": &emps[0], "1002": &emps[1]}
	f := newNearFinder(&DirectoryView{Employees: emps, Match: []string{"attendance_no"},
		Lookup: func(k string) *mapping.Employee { return byKey[k] }})
	p, ok := f.find("1002@acme.example")
	if !ok || p.match.emp.ID != "E2" || transformsYAML(p.source) != `[{strip_suffix: "@acme.example"}]` {
		t.Fatalf("find = %+v %v", p, ok)
	}
	if _, ok := f.find("3003"); ok {
		t.Fatal("3003 has no near match")
	}
}

func TestRecentPunchesForgetsTheOldest(t *testing.T) {
	r := newRecentPunches(2)
	at := func(l int) origin { return origin{line: int32(l)} }
	r.seen("E1", 1, "G", "", at(1))
	r.seen("E1", 2, "G", "", at(2))
	if first, dup := r.seen("E1", 1, "G", "", at(3)); !dup || first.line != 1 {
		t.Fatal("twin within the window not found")
	}
	r.seen("E1", 3, "G", "", at(4)) // pushes out E1@1
	if _, dup := r.seen("E1", 1, "G", "", at(5)); dup {
		t.Fatal("twin beyond the window should be forgotten")
	}
	if _, dup := r.seen("E1", 1, "H", "", at(6)); dup {
		t.Fatal("another device is another punch")
	}
	r.seen("E1", 9, "G", "in", at(7))
	if _, dup := r.seen("E1", 9, "G", "out", at(8)); dup {
		t.Fatal("another direction, where the identity has it, is another punch")
	}
}

// TestRecentPunchesAsAMapWould drives the window's own table with many
// evictions against what a map and a ring of the last keys answer.
func TestRecentPunchesAsAMapWould(t *testing.T) {
	const size = 37
	r := newRecentPunches(size)
	type key struct {
		emp  string
		unix int64
	}
	want := map[key]origin{}
	var ring []key
	rng := uint64(1)
	for i := range 20000 {
		rng = rng*6364136223846793005 + 1442695040888963407
		k := key{emp: string(rune('A' + rng>>60)), unix: int64(rng>>40) % 90}
		at := origin{line: int32(i)}
		first, dup := r.seen(k.emp, k.unix, "G", "", at)
		wantFirst, wantDup := want[k]
		if dup != wantDup || dup && first != wantFirst {
			t.Fatalf("row %d, %v: seen = %v %v, want %v %v", i, k, first, dup, wantFirst, wantDup)
		}
		if !dup {
			if len(ring) == size {
				delete(want, ring[0])
				ring = ring[1:]
			}
			ring = append(ring, k)
			want[k] = at
		}
	}
}
