package resync

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sqlsink"
)

// Outcomes of a resync, per punch row, besides the mapping's rejects.
const (
	Inserted  mapping.Code = "inserted"
	Unchanged mapping.Code = "unchanged"
	Updated   mapping.Code = "updated"
	Removed   mapping.Code = "removed"
	// Extra is a punch the HR system holds from this source that the source
	// no longer has, left alone because --prune was not given.
	Extra mapping.Code = "extra"
	// Differs is a punch whose direction or device differ, left alone
	// because resync.update_changed is false.
	Differs mapping.Code = "differs"
	// Would* are what a dry run reports instead.
	WouldInsert mapping.Code = "would_insert"
	WouldUpdate mapping.Code = "would_update"
	WouldRemove mapping.Code = "would_remove"
)

// Row is one line of the resync report: the row's fate and, for updates
// and removals, the stored punch as it was before.
type Row struct {
	report.Line
	Before *sqlsink.StoredPunch
}

// sourcePunch is a mapped source row of a selected employee, in the window.
type sourcePunch struct {
	punch mapping.Punch
	line  report.Line
}

// sourcePunches pairs each punch with its report line.
func sourcePunches(ps []mapping.Punch) []sourcePunch {
	out := make([]sourcePunch, len(ps))
	for i := range ps {
		out[i] = sourcePunch{punch: ps[i], line: lineOf(&ps[i])}
	}
	return out
}

// lineOf is the report line import's mapping gives a row it mapped to p
// (importer's mapRow): where it was read, and the punch.
func lineOf(p *mapping.Punch) report.Line {
	return report.Line{Source: p.Origin.Source, File: p.Origin.File, Sheet: p.Origin.Sheet, Line: p.Origin.Line,
		Key: p.SourceKey, EmployeeID: p.EmployeeID, Time: p.Time, Direction: string(p.Direction), Device: p.DeviceID}
}

// EmployeePlan is what resync does for one employee.
type EmployeePlan struct {
	Employee *mapping.Employee
	Changes  sqlsink.EmployeeChanges
	Rows     []Row
	Counts   map[mapping.Code]int
}

// planOptions are the rules that shape a plan.
type planOptions struct {
	source        string
	prune         bool
	updateChanged bool
	// hasSource: the HR table says which source stored each punch; without
	// it every stored punch counts as this source's.
	hasSource bool
	// ident is the HR table's punch identity (Store.Identity).
	ident mapping.Identity
}

// planEmployee compares one employee's source punches with the stored
// ones. Exact keys first (unchanged, or a direction to correct); then a
// source punch at the same second as an unmatched stored one of this
// source is a device correction; the rest are inserts. Stored punches of
// this source left over are extra (removed with prune); other sources'
// punches are never touched.
func planEmployee(e *mapping.Employee, src []sourcePunch, stored []sqlsink.StoredPunch, o planOptions) *EmployeePlan {
	p := &EmployeePlan{Employee: e, Changes: sqlsink.EmployeeChanges{EmployeeID: e.ID}, Counts: map[mapping.Code]int{}}
	sort.SliceStable(src, func(i, j int) bool { return src[i].punch.Time.Before(src[j].punch.Time) })
	sort.Slice(stored, func(i, j int) bool {
		if !stored[i].Time.Equal(stored[j].Time) {
			return stored[i].Time.Before(stored[j].Time)
		}
		return stored[i].DeviceID < stored[j].DeviceID
	})
	own := func(s *sqlsink.StoredPunch) bool { return !o.hasSource || s.Source == o.source }
	byKey := make(map[mapping.Key]int, len(stored))
	for i := range stored {
		byKey[stored[i].Key(o.ident)] = i
	}
	matched := make([]bool, len(stored))
	seen := make(map[mapping.Key]int, len(src))
	var pending []int // source punches with no exact key
	for i := range src {
		sp := &src[i]
		k := o.ident.Of(&sp.punch)
		if first, dup := seen[k]; dup {
			sp.line.Outcome = mapping.DuplicateInInput
			sp.line.Reason = fmt.Sprintf("same punch as %s line %d", src[first].line.File, src[first].line.Line)
			p.add(Row{Line: sp.line})
			continue
		}
		seen[k] = i
		j, ok := byKey[k]
		if !ok {
			pending = append(pending, i)
			continue
		}
		matched[j] = true
		st := &stored[j]
		switch {
		case !own(st):
			sp.line.Outcome, sp.line.Reason = Unchanged, fmt.Sprintf("already stored from source %q", st.Source)
			p.add(Row{Line: sp.line})
		case direction(st.Direction) != direction(sp.punch.Direction):
			p.fix(sp, st, o.updateChanged)
		default:
			sp.line.Outcome = Unchanged
			p.add(Row{Line: sp.line})
		}
	}
	// Corrections: same employee and second, this source, another device
	// (or, with the direction in the identity, another direction).
	bySecond := map[int64][]int{}
	for j := range stored {
		if !matched[j] && own(&stored[j]) {
			u := stored[j].Time.Unix()
			bySecond[u] = append(bySecond[u], j)
		}
	}
	for _, i := range pending {
		sp := &src[i]
		cands := bySecond[sp.punch.Time.Unix()]
		if len(cands) > 0 {
			j := cands[0]
			bySecond[sp.punch.Time.Unix()] = cands[1:]
			matched[j] = true
			p.fix(sp, &stored[j], o.updateChanged)
			continue
		}
		sp.line.Outcome = Inserted
		p.Changes.Insert = append(p.Changes.Insert, sp.punch)
		p.add(Row{Line: sp.line})
	}
	for j := range stored {
		st := &stored[j]
		if matched[j] || !own(st) {
			continue
		}
		line := report.Line{Source: o.source, EmployeeID: st.EmployeeID, Time: st.Time, Direction: string(st.Direction),
			Device: st.DeviceID, Key: st.SourceKey, Outcome: Extra, Reason: "in the HR system but no longer in the source"}
		before := *st
		if o.prune {
			line.Outcome = Removed
			p.Changes.Delete = append(p.Changes.Delete, before)
		}
		p.add(Row{Line: line, Before: &before})
	}
	return p
}

// fix records a stored punch whose direction or device differ.
func (p *EmployeePlan) fix(sp *sourcePunch, st *sqlsink.StoredPunch, apply bool) {
	var what []string
	if direction(st.Direction) != direction(sp.punch.Direction) {
		what = append(what, fmt.Sprintf("direction %s -> %s", direction(st.Direction), direction(sp.punch.Direction)))
	}
	if st.DeviceID != sp.punch.DeviceID {
		what = append(what, fmt.Sprintf("device %q -> %q", st.DeviceID, sp.punch.DeviceID))
	}
	before := *st
	sp.line.Reason = strings.Join(what, ", ")
	if apply {
		sp.line.Outcome = Updated
		p.Changes.Update = append(p.Changes.Update, sqlsink.PunchFix{Before: before, After: sp.punch})
	} else {
		sp.line.Outcome = Differs
		sp.line.Reason += " (resync.update_changed is false)"
	}
	p.add(Row{Line: sp.line, Before: &before})
}

func (p *EmployeePlan) add(r Row) {
	p.Rows = append(p.Rows, r)
	p.Counts[r.Outcome]++
}

// asDryRun turns the plan's outcomes into what a dry run reports.
func (p *EmployeePlan) asDryRun() {
	would := map[mapping.Code]mapping.Code{Inserted: WouldInsert, Updated: WouldUpdate, Removed: WouldRemove}
	p.Counts = map[mapping.Code]int{}
	for i := range p.Rows {
		if w, ok := would[p.Rows[i].Outcome]; ok {
			p.Rows[i].Outcome = w
		}
		p.Counts[p.Rows[i].Outcome]++
	}
}

func direction(d mapping.Direction) mapping.Direction {
	if d == "" {
		return mapping.DirUnknown
	}
	return d
}
