package pushusers

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources"
)

// Status classes: what a status means, whatever the spelling (declared by
// config, which checks status_values with them).
const (
	classActive   = config.StatusActive
	classResigned = config.StatusResigned
)

// Record is one employee as the source has it, normalised: dates as
// YYYY-MM-DD, the status in the target's spelling.
type Record struct {
	Employee mapping.Employee
	Password Password
	Origin   mapping.Origin
	// Class is active or resigned ("" when the status is missing or unknown).
	Class string
	// Problems are values that could not be read (bad dates, unknown status).
	Problems []string
}

// SourceStats says how complete the source read was. Absence proves
// nothing when rows could not be read or had no employee id.
type SourceStats struct {
	Rows       int `json:"rows"`
	Unreadable int `json:"unreadable"`
	NoID       int `json:"no_id"`
}

// Normalizer turns source rows into records under the push_users rules.
type Normalizer struct {
	columns  map[string]string // field -> column as configured
	extra    map[string]string // extra name -> column
	layouts  []string
	statuses map[string]string // normalised spelling -> class
	active   string            // the target's spelling of active
	resigned string
}

// NewNormalizer builds a normalizer from a validated push_users section.
func NewNormalizer(p *config.PushUsers) *Normalizer {
	n := &Normalizer{columns: p.Source.Columns, extra: p.Source.Extra, layouts: p.Source.DateLayouts,
		active: p.Target.ActiveValue, resigned: p.Target.ResignedValue}
	if len(n.layouts) == 0 {
		n.layouts = config.DefaultDateLayouts
	}
	if len(p.Source.StatusValues) > 0 {
		n.statuses = map[string]string{}
		for class, spellings := range p.Source.StatusValues {
			for _, s := range spellings {
				n.statuses[normStatus(s)] = class
			}
		}
	}
	return n
}

// binding is where each wanted column sits in one file's header.
type binding struct {
	fields []string // field (or "extra:name") per wanted column
	index  []int
}

// Bind finds the configured columns in a header. A mapped column the
// header lacks is an error naming it and the columns that are there.
func (n *Normalizer) Bind(header []string, where string) (*binding, error) {
	pos := map[string]int{}
	for i, h := range header {
		k := mapping.NormalizeHeader(h)
		if _, dup := pos[k]; !dup {
			pos[k] = i
		}
	}
	b := &binding{}
	var missing []string
	add := func(field, column string) {
		i, ok := pos[mapping.NormalizeHeader(column)]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q (%s)", column, strings.TrimPrefix(field, "extra:")))
			return
		}
		b.fields = append(b.fields, field)
		b.index = append(b.index, i)
	}
	for _, f := range sortedKeys(n.columns) {
		add(f, n.columns[f])
	}
	for _, f := range sortedKeys(n.extra) {
		add("extra:"+f, n.extra[f])
	}
	if len(missing) > 0 {
		cols := make([]string, len(header))
		for i, h := range header {
			cols[i] = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		}
		return nil, fmt.Errorf("%s: no column %s; the columns are: %s", where, strings.Join(missing, ", "), strings.Join(cols, ", "))
	}
	return b, nil
}

// Record reads one row through a binding.
func (n *Normalizer) Record(b *binding, row mapping.Row) Record {
	r := Record{Origin: row.Origin}
	for j, f := range b.fields {
		v := ""
		if i := b.index[j]; i < len(row.Fields) {
			v = strings.TrimSpace(row.Fields[i])
		}
		switch {
		case strings.HasPrefix(f, "extra:"):
			if v != "" {
				r.Employee.SetField(strings.TrimPrefix(f, "extra:"), v)
			}
		case f == "password":
			r.Password = Password(v)
		case f == "status":
			r.Employee.Status = v
		case isDateField(f):
			d, err := n.parseDate(v)
			if err != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: column %q: %v", f, n.columns[f], err))
			}
			r.Employee.SetField(f, d)
		default:
			r.Employee.SetField(f, v)
		}
	}
	if raw := r.Employee.Status; raw != "" {
		r.Class = n.classOf(raw)
		switch r.Class {
		case classActive:
			r.Employee.Status = n.active
		case classResigned:
			r.Employee.Status = n.resigned
		default:
			r.Problems = append(r.Problems, fmt.Sprintf("status: column %q: %q is not a known status (%s)", n.columns["status"], raw, n.knownStatuses()))
		}
	}
	return r
}

// classOf says whether a status spelling means active or resigned: by the
// configured status_values when there are any (unknown spellings give ""),
// else by the target's own spellings and the usual leaver words.
func (n *Normalizer) classOf(status string) string {
	s := normStatus(status)
	if n.statuses != nil {
		if c, ok := n.statuses[s]; ok {
			return c
		}
		if s == normStatus(n.active) {
			return classActive
		}
		if s == normStatus(n.resigned) {
			return classResigned
		}
		return ""
	}
	return n.targetClass(status)
}

// targetClass reads a status as the target stores it.
func (n *Normalizer) targetClass(status string) string {
	s := normStatus(status)
	switch {
	case s == normStatus(n.resigned):
		return classResigned
	case s == normStatus(n.active):
		return classActive
	}
	e := mapping.Employee{Status: status}
	if e.Active() {
		return classActive
	}
	return classResigned
}

func (n *Normalizer) knownStatuses() string {
	if n.statuses == nil {
		return "want " + n.active + " or " + n.resigned
	}
	var active, resigned []string
	for s, c := range n.statuses {
		if c == classActive {
			active = append(active, s)
		} else {
			resigned = append(resigned, s)
		}
	}
	sort.Strings(active)
	sort.Strings(resigned)
	return "active: " + strings.Join(active, ", ") + "; resigned: " + strings.Join(resigned, ", ")
}

func normStatus(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

var dateFields = map[string]bool{"onboarding_date": true, "resignation_date": true}

func isDateField(f string) bool { return dateFields[f] }

// parseDate reads a date in one of the layouts and writes it as YYYY-MM-DD.
func (n *Normalizer) parseDate(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	for _, l := range n.layouts {
		if t, err := time.Parse(l, v); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", fmt.Errorf("%q is not a date in any of the layouts %s", v, strings.Join(n.layouts, ", "))
}

// targetDate reads a date as a target stores it: a DATE column comes back
// as 2024-03-01, 2024-03-01 00:00:00 or 2024-03-01T00:00:00Z.
func targetDate(v string) string {
	v = strings.TrimSpace(v)
	if len(v) >= 10 {
		if t, err := time.Parse(time.DateOnly, v[:10]); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	return v
}

// ReadSource reads every employee record from the configured file(s) or
// database query. A file that cannot be opened or whose header lacks a
// mapped column fails the whole read: planning on half a source would
// report everyone else as absent.
func ReadSource(ctx context.Context, cfg *config.Config, n *Normalizer) ([]Record, SourceStats, error) {
	var out []Record
	var st SourceStats
	err := cfg.UsersSourceTable().Each(ctx, func(where string, r sources.FileReader) error {
		return readRows(ctx, r, n, where, &out, &st)
	})
	return out, st, err
}

func readRows(ctx context.Context, r sources.FileReader, n *Normalizer, where string, out *[]Record, st *SourceStats) error {
	var b *binding
	for i := 0; ; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		row, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("employee source %s: %w", where, err)
		}
		st.Rows++
		if row.Err != nil {
			st.Unreadable++
			*out = append(*out, Record{Origin: row.Origin, Problems: []string{row.Err.Error()}})
			continue
		}
		if b == nil {
			if row.Header == nil {
				return fmt.Errorf("employee source %s: it has no header row; set format.header: true and name the columns", where)
			}
			if b, err = n.Bind(row.Header, where); err != nil {
				return fmt.Errorf("employee source %w", err)
			}
		}
		rec := n.Record(b, row)
		if rec.Employee.ID == "" {
			st.NoID++
		}
		*out = append(*out, rec)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
