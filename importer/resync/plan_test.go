package resync

import (
	"testing"
	"time"

	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sqlsink"
)

// With the direction in the HR table's identity, an in and an out of one
// employee in one second are two punches: the stored in is unchanged and
// the out inserted. Without it, the out is the in's repeat in the input.
func TestPlanFollowsTheIdentity(t *testing.T) {
	at := time.Date(2025, 12, 1, 1, 0, 0, 0, time.UTC)
	e := &mapping.Employee{ID: "E1"}
	src := func() []sourcePunch {
		var out []sourcePunch
		for i, d := range []mapping.Direction{mapping.DirIn, mapping.DirOut} {
			sp := sourcePunch{punch: mapping.Punch{EmployeeID: "E1", Time: at, Direction: d, DeviceID: "G"}}
			sp.line.Line = i + 2
			out = append(out, sp)
		}
		return out
	}
	stored := func() []sqlsink.StoredPunch {
		return []sqlsink.StoredPunch{{EmployeeID: "E1", Time: at, Direction: mapping.DirIn, DeviceID: "G"}}
	}
	for _, c := range []struct {
		ident mapping.Identity
		want  map[mapping.Code]int
	}{
		{mapping.Identity{Direction: true}, map[mapping.Code]int{Unchanged: 1, Inserted: 1}},
		{mapping.Identity{}, map[mapping.Code]int{Unchanged: 1, mapping.DuplicateInInput: 1}},
	} {
		p := planEmployee(e, src(), stored(), planOptions{ident: c.ident, updateChanged: true})
		if len(p.Counts) != len(c.want) {
			t.Errorf("direction %v: %v, want %v", c.ident.Direction, p.Counts, c.want)
		}
		for code, n := range c.want {
			if p.Counts[code] != n {
				t.Errorf("direction %v: %v, want %v", c.ident.Direction, p.Counts, c.want)
			}
		}
	}
}
