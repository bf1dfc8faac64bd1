package mapcheck

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteJSON prints a Document (or a SuggestResult) as one indented JSON document.
func WriteJSON(w io.Writer, d any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}

// rowsShown is how many keys, codes or employees a table prints; the JSON
// document and --report have them all.
const rowsShown = 20

// WriteVerdict prints only the verdict line that ends WriteText's output.
func WriteVerdict(w io.Writer, d *Document) error {
	_, err := fmt.Fprintln(w, verdictLine(d))
	return err
}

func verdictLine(d *Document) string { return fmt.Sprintf("exit %d: %s", d.ExitCode, d.Verdict) }

// WriteText prints the document as tables for a terminal.
func WriteText(w io.Writer, d *Document) error {
	p := &printer{w: w}
	for _, s := range d.Sources {
		p.source(s)
	}
	if c := d.Coverage; c != nil {
		p.head("Directory coverage")
		window := ""
		if c.WindowFrom != nil {
			window = fmt.Sprintf(" between %s and %s", stamp(*c.WindowFrom), stamp(*c.WindowTo))
		}
		p.line("%d employees, %d active; %d active employees have no punch%s (matched on %s)",
			c.Employees, c.Active, c.ActiveWithout, window, strings.Join(c.MatchedOnField, ", "))
		t := p.table("ID", "NAME", "ATTENDANCE NO", "EMPLOYEE NO", "DEPARTMENT")
		for i, e := range c.Without {
			if i == rowsShown {
				p.more(t, c.ActiveWithout-rowsShown)
				break
			}
			t.row(e.ID, e.Name, e.AttendanceNo, e.EmployeeNo, e.Department)
		}
		t.flush()
	}
	p.head("Outcomes import would produce")
	t := p.table("OUTCOME", "ROWS")
	codes := make([]string, 0, len(d.Counts))
	for k := range d.Counts {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	for _, k := range codes {
		t.row(k, fmt.Sprint(d.Counts[k]))
	}
	t.row("total", fmt.Sprint(d.Total))
	t.flush()
	for _, f := range d.Failures {
		p.line("could not read: %s", f)
	}
	if d.StoredNote != "" {
		p.line("note: %s", d.StoredNote)
	}
	p.line("")
	p.line("%s", verdictLine(d))
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *printer) head(title string) {
	p.line("")
	p.line("== %s ==", title)
}

type table struct {
	p  *printer
	tw *tabwriter.Writer
}

func (p *printer) table(cols ...string) *table {
	t := &table{p: p, tw: tabwriter.NewWriter(p.w, 2, 4, 2, ' ', 0)}
	t.row(cols...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() {
	if err := t.tw.Flush(); err != nil && t.p.err == nil {
		t.p.err = err
	}
}

func (p *printer) more(t *table, n int) {
	if n > 0 {
		t.row(fmt.Sprintf("... %d more (see --output json or --report)", n))
	}
}

func stamp(t time.Time) string { return t.Format("2006-01-02 15:04:05 MST") }

func (p *printer) source(s *SourceReport) {
	p.head("Source " + s.Name)
	p.line("%d rows read (times in %s)", s.Rows, s.Timezone)
	if s.FirstTime != nil {
		p.line("punch times from %s to %s", stamp(*s.FirstTime), stamp(*s.LastTime))
	}
	t := p.table("FILE", "FORMAT", "ENCODING", "DELIMITER", "SHEET", "HEADER ROW", "ROWS")
	for _, f := range s.Files {
		t.row(f.File, f.Format, f.Encoding, f.Delimiter, f.Sheet, fmt.Sprint(f.HeaderRow), fmt.Sprint(f.Rows))
	}
	t.flush()
	for _, f := range s.Files {
		if len(f.Columns) > 0 {
			p.line("columns of %s: %s", f.File, quoteList(f.Columns))
		}
		if f.OpenError != "" {
			p.line("could not read %s: %s", f.File, f.OpenError)
		}
		if f.BindError != "" {
			p.line("MAPPING CANNOT BIND to %s: %s", f.File, f.BindError)
		}
	}

	p.head("Fields of " + s.Name)
	t = p.table("FIELD", "COLUMN", "PARSED", "FAILED", "NOT REACHED")
	for _, f := range s.Fields {
		col := strings.Join(f.Columns, " | ")
		if f.Constant {
			col = "(constant)"
		}
		t.row(f.Field, col, fmt.Sprint(f.Parsed), fmt.Sprint(f.Failed), fmt.Sprint(f.NotReached))
	}
	t.flush()
	for _, f := range s.Fields {
		for _, ex := range f.Examples {
			p.line("  %s fails at %s line %d: %q: %s", f.Field, ex.File, ex.Line, ex.Raw, ex.Reason)
		}
	}
	if s.Unreadable.Count > 0 {
		p.line("%d rows could not be read or bound; first: %s", s.Unreadable.Count, exampleText(s.Unreadable.Examples[0]))
	}

	for _, dr := range s.Dates {
		p.head(fmt.Sprintf("Day/month order in %s (%s)", dr.Column, dr.Field))
		p.line("%d values, %d all-number dates (%s)", dr.Values, dr.Numeric, dr.Order)
		p.line("first number above 12: %d%s", dr.FirstAbove12, exampleSuffix(dr.FirstExample))
		p.line("second number above 12: %d%s", dr.SecondAbove12, exampleSuffix(dr.SecondExample))
		p.line("the mapping uses: %s", strings.Join(dr.MappingUses, "; "))
		p.line("%s", dr.Verdict)
	}

	if dr := s.Directions; dr != nil {
		p.head(fmt.Sprintf("Direction codes in %s", dr.Column))
		t = p.table("CODE", "ROWS", "MAPS TO")
		for i, c := range dr.Codes {
			if i == rowsShown {
				p.more(t, len(dr.Codes)-rowsShown)
				break
			}
			t.row(fmt.Sprintf("%q", c.Code), fmt.Sprint(c.Count), c.Direction)
		}
		t.flush()
		if dr.Unknown > 0 {
			p.line("%d rows have a code the mapping does not know", dr.Unknown)
		}
	}

	u := s.Unmapped
	p.head("Unmapped keys of " + s.Name)
	p.line("%d rows, %d distinct keys match no employee", u.Rows, u.DistinctKeys)
	if len(u.Keys) > 0 {
		t = p.table("KEY", "ROWS", "FIRST SEEN", "LAST SEEN", "FIRST LINE", "NEAR MATCH")
		for i, k := range u.Keys {
			if i == rowsShown {
				p.more(t, len(u.Keys)-rowsShown)
				break
			}
			near := ""
			if k.Near != nil {
				near = fmt.Sprintf("%s (%s %q) with %s", k.Near.EmployeeID, k.Near.Field, k.Near.Value, k.Near.Fix)
			}
			t.row(fmt.Sprintf("%q", k.Key), fmt.Sprint(k.Count), stamp(k.First), stamp(k.Last), fmt.Sprint(k.FirstLine), near)
		}
		t.flush()
	}
	if u.UntrackedRows > 0 {
		p.line("%d more unmapped rows have keys beyond the tracked limit", u.UntrackedRows)
	}
	for _, f := range u.Fixes {
		p.line("")
		p.line("This change would place %d keys (%d rows):", f.Keys, f.Rows)
		for _, l := range strings.Split(strings.TrimRight(f.YAML, "\n"), "\n") {
			p.line("    %s", l)
		}
	}

	p.head("Other findings in " + s.Name)
	p.finding("duplicates inside the input", s.Duplicates)
	p.finding("times in the future", s.Future)
	p.finding("times before the floor date", s.BeforeFrom)
	p.finding("ambiguous local times (daylight-saving overlap, first occurrence taken)", s.Ambiguous)
	p.finding("in and out of one employee in the same second", s.SameSecondPairs)
	if len(s.Suspicions) > 0 {
		p.head("The mapping of " + s.Name + " looks wrong")
		for _, x := range s.Suspicions {
			p.line("%s: %s", x.Field, x.Message)
		}
	}
}

func (p *printer) finding(what string, f Finding) {
	p.line("%s: %d", what, f.Count)
	for _, ex := range f.Examples {
		p.line("  %s", exampleText(ex))
	}
	if f.Note != "" && f.Count > 0 {
		p.line("  (%s)", f.Note)
	}
}

func exampleText(ex Example) string {
	s := fmt.Sprintf("%s line %d", ex.File, ex.Line)
	if ex.Key != "" {
		s += fmt.Sprintf(" key %q", ex.Key)
	}
	if ex.Reason != "" {
		s += ": " + ex.Reason
	}
	return s
}

func exampleSuffix(ex *Example) string {
	if ex == nil {
		return ""
	}
	return fmt.Sprintf(" (first: %s line %d %q)", ex.File, ex.Line, ex.Raw)
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
