package importer

import (
	"fmt"
	"strings"

	"github.com/hrsync/hrsync/mapping"
)

// Directory finds the employee a punch key belongs to. It tries each match
// field in the configured order (attendance number, then employee number, ...).
type Directory struct {
	byField   []map[string]entry
	normalize func(string) string
	matchDesc string // "attendance_no, employee_no", for reasons
	All       []mapping.Employee
}

// entry is an indexed employee with what every punch asks of it, its ID
// and whether it is active, copied into the index: reading them from the
// Employee was a cache miss per row in a directory of thousands.
type entry struct {
	employee *mapping.Employee
	id       string
	active   bool
}

// NewDirectory indexes employees by the match fields. It reads them once:
// changes made to them afterwards are not seen. keyTransform is applied
// to the directory's own keys (e.g. strip_leading_zeros), so "00123" in the
// HR system meets "123" from a spreadsheet that lost its zeros.
func NewDirectory(employees []mapping.Employee, match []string, keyTransform []mapping.Transform) (*Directory, error) {
	d := &Directory{All: employees, matchDesc: strings.Join(match, ", ")}
	tr, err := mapping.CompileTransforms(keyTransform)
	if err != nil {
		return nil, fmt.Errorf("hr.employees.key_transform: %w", err)
	}
	d.normalize = func(s string) string { return tr.Apply(strings.TrimSpace(s)) }
	for _, field := range match {
		idx := make(map[string]entry, len(employees))
		for i := range employees {
			e := &employees[i]
			if k := d.normalize(e.Field(field)); k != "" {
				if _, taken := idx[k]; !taken {
					idx[k] = entry{employee: e, id: e.ID, active: e.Active()}
				}
			}
		}
		d.byField = append(d.byField, idx)
	}
	return d, nil
}

// Lookup returns the employee with this key, or nil.
func (d *Directory) Lookup(key string) *mapping.Employee {
	return d.find(key).employee
}

// find is Lookup for the hot path; the zero entry means no employee.
func (d *Directory) find(key string) entry {
	for _, idx := range d.byField {
		if e, ok := idx[key]; ok {
			return e
		}
	}
	if n := d.normalize(key); n != key {
		for _, idx := range d.byField {
			if e, ok := idx[n]; ok {
				return e
			}
		}
	}
	return entry{}
}
