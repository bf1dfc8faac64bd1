package pushusers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
)

// Rules are the planning inputs that come from config and flags.
type Rules struct {
	Policy             map[string]string // field -> always, if_empty, never
	Required           []string
	MaxDeactivateShare float64
	DeactivateMissing  bool
	AllowMass          bool
	// Compared are the fields the source maps (columns and extras); only
	// they are compared with the target.
	Compared []string
}

// RulesFrom reads the rules from a validated push_users section.
func RulesFrom(p *config.PushUsers) Rules {
	r := Rules{Policy: p.Policy, Required: p.Required, MaxDeactivateShare: *p.MaxDeactivateShare}
	for _, f := range config.UserSourceFields {
		if _, ok := p.Source.Columns[f]; ok && f != "id" && f != "password" {
			r.Compared = append(r.Compared, f)
		}
	}
	r.Compared = append(r.Compared, sortedKeys(p.Source.Extra)...)
	return r
}

// Plan is every decision of a run, before or after applying it.
type Plan struct {
	Decisions []*Decision
	// ActiveInTarget counts the target's active accounts, the base of the brake.
	ActiveInTarget int
	// Deactivations counts deactivate and absent_deactivated decisions.
	Deactivations int
	// Brake is set when the plan trips the safety brake: why nothing may be applied.
	Brake string
}

// Counts tallies the decisions by outcome.
func (p *Plan) Counts() map[Outcome]int {
	c := map[Outcome]int{}
	for _, d := range p.Decisions {
		c[d.Outcome]++
	}
	return c
}

// MakePlan decides, per employee, what the run does. It is pure: the
// source records and the target's accounts in, decisions out.
func MakePlan(records []Record, stats SourceStats, target []mapping.Employee, n *Normalizer, rules Rules) *Plan {
	p := &Plan{}
	byID := make(map[string]*mapping.Employee, len(target))
	for i := range target {
		e := &target[i]
		id := strings.TrimSpace(e.ID)
		if id == "" {
			continue
		}
		if _, dup := byID[id]; !dup {
			byID[id] = e
		}
		if n.targetClass(e.Status) == classActive {
			p.ActiveInTarget++
		}
	}
	seen := make(map[string]int, len(records)) // id -> source line
	for i := range records {
		r := &records[i]
		id := r.Employee.ID
		d := &Decision{ID: id, Name: r.Employee.Name, Origin: r.Origin}
		p.Decisions = append(p.Decisions, d)
		if id == "" {
			d.Outcome = Rejected
			d.Reason = "no employee id"
			if len(r.Problems) > 0 {
				d.Reason += "; " + strings.Join(r.Problems, "; ")
			}
			continue
		}
		if first, dup := seen[id]; dup {
			d.Outcome = Rejected
			d.Reason = fmt.Sprintf("employee id %s is also on line %d of the source; only the first is used", id, first)
			continue
		}
		seen[id] = r.Origin.Line
		if len(r.Problems) > 0 {
			d.Outcome = Rejected
			d.Reason = strings.Join(r.Problems, "; ")
			continue
		}
		t := byID[id]
		if t == nil {
			planCreate(d, r, rules)
			continue
		}
		planExisting(d, r, t, n, rules)
	}
	planAbsent(p, byID, seen, stats, len(records), n, rules)
	for _, d := range p.Decisions {
		if d.Outcome == Deactivate || d.Outcome == AbsentDeactivated {
			p.Deactivations++
		}
	}
	if p.Deactivations > 0 && !rules.AllowMass && float64(p.Deactivations) > rules.MaxDeactivateShare*float64(p.ActiveInTarget) {
		share := 100.0
		if p.ActiveInTarget > 0 {
			share = 100 * float64(p.Deactivations) / float64(p.ActiveInTarget)
		}
		p.Brake = fmt.Sprintf("safety brake: this run would deactivate %d of %d active employees (%.1f%%), more than max_deactivate_share %.0f%%; nothing was changed. Check the source for missing people, or rerun with --allow-mass-deactivation if this is intended",
			p.Deactivations, p.ActiveInTarget, share, 100*rules.MaxDeactivateShare)
	}
	return p
}

func planCreate(d *Decision, r *Record, rules Rules) {
	if r.Class == classResigned {
		d.Outcome = Unchanged
		d.Reason = "resigned and has no account in the target: nothing to create"
		return
	}
	var missing []string
	for _, f := range rules.Required {
		v := r.Employee.Field(f)
		if f == "password" {
			v = r.Password.Reveal()
		}
		if v == "" {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		d.Outcome = Rejected
		d.Reason = "not in the target, and a new account needs " + strings.Join(missing, ", ")
		return
	}
	d.Outcome = Create
	var fields []string
	for _, f := range append([]string{"id"}, rules.Compared...) {
		if v := r.Employee.Field(f); v != "" {
			d.Set = append(d.Set, FieldChange{Field: f, New: v})
			fields = append(fields, f)
		}
	}
	d.change = &Change{Create: true, Employee: r.Employee, Fields: fields, Password: r.Password}
}

// leaverFields are all the docking rules let a resigned account change.
var leaverFields = map[string]bool{"status": true, "resignation_date": true}

func planExisting(d *Decision, r *Record, t *mapping.Employee, n *Normalizer, rules Rules) {
	targetActive := n.targetClass(t.Status) == classActive
	sourceResigned := r.Class == classResigned
	var set, manual, held []FieldChange
	for _, f := range rules.Compared {
		newV, oldV := r.Employee.Field(f), t.Field(f)
		if f == "status" {
			if r.Class == "" || (r.Class == classActive) == targetActive {
				continue
			}
		} else {
			if isDateField(f) {
				oldV = targetDate(oldV)
			} else {
				oldV = strings.TrimSpace(oldV)
			}
			// An empty source value means "not given": it never clears
			// the target, except a rehire's resignation date below.
			if newV == "" || newV == oldV {
				continue
			}
		}
		fc := FieldChange{Field: f, Old: t.Field(f), New: newV}
		switch {
		case sourceResigned || !targetActive:
			// The docking rules: a resigned account changes only its
			// status and resignation date.
			if leaverFields[f] {
				set = append(set, fc)
			} else {
				held = append(held, fc)
			}
		case f == "status":
			set = append(set, fc)
		default:
			switch rules.Policy[f] {
			case config.PolicyAlways:
				set = append(set, fc)
			case config.PolicyIfEmpty:
				if oldV == "" {
					set = append(set, fc)
				} else {
					manual = append(manual, fc)
				}
			default:
				manual = append(manual, fc)
			}
		}
	}
	rehire := !targetActive && r.Class == classActive
	if rehire && t.ResignationDate != "" && r.Employee.ResignationDate == "" && contains(rules.Compared, "resignation_date") {
		set = append(set, FieldChange{Field: "resignation_date", Old: t.ResignationDate, New: ""})
	}
	d.Set, d.Manual = set, manual
	switch {
	case sourceResigned && targetActive:
		d.Outcome = Deactivate
	case len(manual) > 0:
		d.Outcome = NeedsManualChange
		d.Reason = "the policy does not let hrsync change " + fieldList(manual) + "; change it by hand in the HR system or set push_users.policy"
	case len(set) > 0:
		d.Outcome = Update
	default:
		d.Outcome = Unchanged
	}
	if len(held) > 0 {
		what := "a resigned account"
		if rehire {
			what = "an account until it is active again (the next run will)"
		}
		note := "not changed for " + what + ": " + describe(held)
		d.Reason = strings.TrimPrefix(d.Reason+"; "+note, "; ")
	}
	if len(set) > 0 {
		upd := mapping.Employee{ID: d.ID}
		fields := make([]string, len(set))
		for i, fc := range set {
			upd.SetField(fc.Field, fc.New)
			fields[i] = fc.Field
		}
		d.change = &Change{Employee: upd, Fields: fields}
	}
}

func planAbsent(p *Plan, byID map[string]*mapping.Employee, seen map[string]int, stats SourceStats, nRecords int, n *Normalizer, rules Rules) {
	var ids []string
	for id, e := range byID {
		if _, ok := seen[id]; !ok && n.targetClass(e.Status) == classActive {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	why := ""
	switch {
	case !rules.DeactivateMissing:
		why = "active in the target but not in the source; rerun with --deactivate-missing to deactivate"
	case nRecords == 0:
		why = "the source returned no rows, so nobody is deactivated"
	case stats.Unreadable > 0 || stats.NoID > 0:
		why = fmt.Sprintf("not in the source, but %d source rows could not be read or had no employee id, so absence proves nothing; nobody is deactivated", stats.Unreadable+stats.NoID)
	}
	for _, id := range ids {
		e := byID[id]
		d := &Decision{ID: id, Name: e.Name, Outcome: Absent, Reason: why}
		if why == "" {
			d.Outcome = AbsentDeactivated
			d.Reason = "active in the target but not in the source"
			d.Set = []FieldChange{{Field: "status", Old: e.Status, New: n.resigned}}
			d.change = &Change{Employee: mapping.Employee{ID: id, Status: n.resigned}, Fields: []string{"status"}}
		}
		p.Decisions = append(p.Decisions, d)
	}
}

func fieldList(fcs []FieldChange) string {
	names := make([]string, len(fcs))
	for i, fc := range fcs {
		names[i] = fc.Field
	}
	return strings.Join(names, ", ")
}

// describe writes changes as "department: Sales → Ops; status: active → resigned".
func describe(fcs []FieldChange) string {
	parts := make([]string, len(fcs))
	for i, fc := range fcs {
		parts[i] = fmt.Sprintf("%s: %q → %q", fc.Field, fc.Old, fc.New)
	}
	return strings.Join(parts, "; ")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
