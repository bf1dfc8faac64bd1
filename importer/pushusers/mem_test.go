package pushusers

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/hrsync/hrsync/mapping"
)

// memTarget is the simplest target: a map. It keeps the suite honest
// about the engine before any real target is involved.
type memTarget struct {
	mu       sync.Mutex
	emps     map[string]mapping.Employee
	pw       map[string]string
	pwUpdate bool
}

func (m *memTarget) Employees(ctx context.Context) ([]mapping.Employee, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []mapping.Employee
	for _, e := range m.emps {
		out = append(out, e)
	}
	return out, nil
}

func (m *memTarget) Apply(ctx context.Context, changes []Change) ([]error, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	errs := make([]error, len(changes))
	for i, c := range changes {
		if c.Create {
			if _, ok := m.emps[c.Employee.ID]; ok {
				errs[i] = fmt.Errorf("%s exists", c.Employee.ID)
				continue
			}
			m.emps[c.Employee.ID] = c.Employee
			m.pw[c.Employee.ID] = c.Password.Reveal()
			continue
		}
		if c.Password != "" {
			m.pwUpdate = true
		}
		e, ok := m.emps[c.Employee.ID]
		if !ok {
			errs[i] = fmt.Errorf("%s missing", c.Employee.ID)
			continue
		}
		for _, f := range c.Fields {
			e.SetField(f, c.Employee.Field(f))
		}
		m.emps[c.Employee.ID] = e
	}
	return errs, nil
}

func newMemHarness(t *testing.T) *harness {
	m := &memTarget{emps: map[string]mapping.Employee{}, pw: map[string]string{}}
	return &harness{
		target: m,
		seed: func(t *testing.T, emps []mapping.Employee) {
			for _, e := range emps {
				m.emps[e.ID] = e
			}
		},
		dump: func(t *testing.T) map[string]mapping.Employee {
			m.mu.Lock()
			defer m.mu.Unlock()
			out := map[string]mapping.Employee{}
			for k, v := range m.emps {
				out[k] = v
			}
			return out
		},
		holds:     func(string) bool { return true },
		passwords: func() (map[string]string, bool) { return m.pw, m.pwUpdate },
	}
}

func TestRulesMemory(t *testing.T) { runRuleSuite(t, newMemHarness) }
