package importer

import (
	"fmt"
	"testing"
	"time"

	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/mapping"
)

// Repeats within a batch are settled alike whether the batch comes in time
// order (found among the punches of the same second) or not (by map).
func TestPrepareSettlesRepeats(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	punch := func(line int, emp string, sec int, dev string) item {
		return item{ok: true, line: report.Line{Line: line},
			punch: mapping.Punch{EmployeeID: emp, Time: t0.Add(time.Duration(sec) * time.Second), DeviceID: dev}}
	}
	crowded := func() []item { // more punches in one second than shortRun
		var out []item
		for i := 0; i <= shortRun; i++ {
			out = append(out, punch(10+i, fmt.Sprint("E", i), 0, "d"))
		}
		return append(out, punch(99, "E3", 0, "d"))
	}
	for _, tc := range []struct {
		name  string
		items []item
		// reasons per line: "" written, else the line it repeats
		repeats map[int]int
		written int
		inOrder bool // settled without the map
	}{
		{"in order", []item{punch(2, "E1", 0, "d"), punch(3, "E2", 0, "d"), punch(4, "E1", 0, "d"), punch(5, "E1", 1, "d"), punch(6, "E1", 1, "x"), {line: report.Line{Line: 7}}, punch(8, "E1", 1, "x")},
			map[int]int{4: 2, 8: 6}, 4, true},
		{"out of order", []item{punch(2, "E1", 5, "d"), punch(3, "E2", 0, "d"), punch(4, "E1", 5, "d"), punch(5, "E2", 0, "d")},
			map[int]int{4: 2, 5: 3}, 2, false},
		{"crowded second", crowded(), map[int]int{99: 13}, shortRun + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := inShortRuns(tc.items); got != tc.inOrder {
				t.Fatalf("inShortRuns = %v, want %v", got, tc.inOrder)
			}
			var p preparer
			p.seen = map[mapping.Key]int{}
			b := &batch{items: tc.items}
			p.prepare(b)
			if len(b.punches) != tc.written {
				t.Errorf("%d punches to write, want %d", len(b.punches), tc.written)
			}
			for _, it := range b.items {
				first, repeat := tc.repeats[it.line.Line]
				want := ""
				if repeat {
					want = fmt.Sprintf("same punch as line %d of this input", first)
				}
				if it.line.Reason != want || (it.line.Outcome == mapping.Duplicate) != repeat {
					t.Errorf("line %d: %s %q, want reason %q", it.line.Line, it.line.Outcome, it.line.Reason, want)
				}
			}
		})
	}
}
