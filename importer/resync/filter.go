// Package resync re-reads one slice of a source (some employees, some days),
// compares it with what the HR system holds for them and makes the HR data
// right: missing punches inserted, differing ones corrected, and with prune
// the ones the source no longer has removed, one employee per transaction.
package resync

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hrsync/hrsync/mapping"
)

// Kinds are the employee fields a filter may name, in the order messages
// list them; "employee" picks employees by id or punch key.
var Kinds = []string{"status", "sbu", "state", "branch", "department", "sub_department", "designation", "employee_type", "employee"}

// Filter selects employees: AND across kinds, OR within one kind.
type Filter map[string][]string

// Add records values for a kind; each value may be a comma list.
func (f Filter) Add(kind string, values ...string) {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if norm(part) != "" {
				f[kind] = append(f[kind], strings.TrimSpace(part))
			}
		}
	}
}

// Empty reports whether the filter names nothing (every employee).
func (f Filter) Empty() bool {
	for _, v := range f {
		if len(v) > 0 {
			return false
		}
	}
	return true
}

// String shows the filter as flags, for messages.
func (f Filter) String() string {
	var parts []string
	for _, k := range Kinds {
		if len(f[k]) > 0 {
			parts = append(parts, "--"+strings.ReplaceAll(k, "_", "-")+" "+strings.Join(f[k], ","))
		}
	}
	return strings.Join(parts, " ")
}

// norm compares directory values the way people mean them: case, surrounding
// and repeated spaces do not matter ("Permanent" = " PERMANENT ").
func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// Lookup finds an employee by a punch key (the importer's Directory).
type Lookup func(key string) *mapping.Employee

// Select returns the employees the filter picks, in id order. A value that
// no employee has is an error listing the nearest values that exist.
func Select(all []mapping.Employee, f Filter, lookup Lookup) ([]*mapping.Employee, error) {
	for k := range f {
		if !contains(Kinds, k) {
			return nil, fmt.Errorf("unknown filter %q (one of %s)", k, strings.Join(Kinds, ", "))
		}
	}
	wanted := map[string]map[string]bool{}
	picked := map[string]bool{} // --employee: ids
	for _, kind := range Kinds {
		values := f[kind]
		if len(values) == 0 {
			continue
		}
		if kind == "employee" {
			for _, v := range values {
				e := findEmployee(all, v, lookup)
				if e == nil {
					return nil, unknownValue("employee", v, employeeKeys(all))
				}
				picked[e.ID] = true
			}
			continue
		}
		have := map[string]string{} // normalized -> as written (first seen)
		for i := range all {
			if v := all[i].Field(kind); norm(v) != "" {
				if _, ok := have[norm(v)]; !ok {
					have[norm(v)] = strings.TrimSpace(v)
				}
			}
		}
		set := map[string]bool{}
		for _, v := range values {
			if _, ok := have[norm(v)]; !ok {
				return nil, unknownValue(kind, v, have)
			}
			set[norm(v)] = true
		}
		wanted[kind] = set
	}
	var out []*mapping.Employee
	for i := range all {
		e := &all[i]
		if len(picked) > 0 && !picked[e.ID] {
			continue
		}
		ok := true
		for kind, set := range wanted {
			if !set[norm(e.Field(kind))] {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// findEmployee matches an --employee value against ids, then punch keys.
func findEmployee(all []mapping.Employee, v string, lookup Lookup) *mapping.Employee {
	v = strings.TrimSpace(v)
	for i := range all {
		if all[i].ID == v {
			return &all[i]
		}
	}
	for i := range all {
		if strings.EqualFold(all[i].ID, v) {
			return &all[i]
		}
	}
	if lookup != nil {
		if e := lookup(v); e != nil {
			return e
		}
	}
	return nil
}

func employeeKeys(all []mapping.Employee) map[string]string {
	have := make(map[string]string, len(all))
	for i := range all {
		have[norm(all[i].ID)] = all[i].ID
	}
	return have
}

// unknownValue builds the error for a filter value nobody has, naming the
// nearest values that exist.
func unknownValue(kind, v string, have map[string]string) error {
	flag := "--" + strings.ReplaceAll(kind, "_", "-")
	if len(have) == 0 {
		return fmt.Errorf("%s %q: no employee has any %s in the directory", flag, v, kind)
	}
	near := Nearest(v, have, 5)
	return fmt.Errorf("%s %q: no employee has this %s; nearest: %s", flag, strings.TrimSpace(v), kind, strings.Join(near, ", "))
}

// Nearest returns up to n of the values (normalized -> as written) closest
// to v by edit distance on their normalized forms, a value containing v
// counting as close.
func Nearest(v string, have map[string]string, n int) []string {
	type cand struct {
		text string
		dist int
	}
	nv := norm(v)
	cands := make([]cand, 0, len(have))
	for k, text := range have {
		d := distance(nv, k)
		if nv != "" && (strings.Contains(k, nv) || strings.Contains(nv, k)) {
			d = min(d, 1)
		}
		cands = append(cands, cand{text, d})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].dist != cands[j].dist {
			return cands[i].dist < cands[j].dist
		}
		return cands[i].text < cands[j].text
	})
	out := make([]string, 0, n)
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, fmt.Sprintf("%q", cands[i].text))
	}
	return out
}

// distance is the Levenshtein distance over runes.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
