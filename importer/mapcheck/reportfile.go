package mapcheck

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
)

// failureRecord is one row that would not be placed, as the report lists it.
type failureRecord struct {
	Source  string   `json:"source"`
	File    string   `json:"file,omitempty"`
	Sheet   string   `json:"sheet,omitempty"`
	Line    int      `json:"line"`
	Outcome string   `json:"outcome"`
	Field   string   `json:"field,omitempty"`
	Key     string   `json:"key,omitempty"`
	Time    string   `json:"time,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	Raw     []string `json:"raw,omitempty"`
}

// reportFile writes --report. Failures are spooled to a temporary file as
// they come (memory stays flat), then the report is written in order at
// the end: summary, unmapped keys, failures.
type reportFile struct {
	path, format string
	spool        *os.File
	spoolBuf     *bufio.Writer
	enc          *json.Encoder
	failures     int64
	err          error
	// zone is a source's time zone: times in the report are its wall clock.
	zone func(source string) *time.Location
}

// Report formats, by extension.
const (
	formatXLSX  = "xlsx"
	formatCSV   = "csv"
	formatJSONL = "jsonl"
)

// maxSheetRows is Excel's row limit, less the header row.
const maxSheetRows = 1_048_575

func createReport(path string) (*reportFile, error) {
	var format string
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		format = formatXLSX
	case ".csv":
		format = formatCSV
	case ".jsonl", ".ndjson":
		format = formatJSONL
	default:
		return nil, exitcode.Usagef("--report %s: map-check writes .xlsx, .csv or .jsonl, not %q", path, filepath.Ext(path))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	spool, err := os.CreateTemp(filepath.Dir(path), ".map-check-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("--report: %w", err)
	}
	r := &reportFile{path: path, format: format, spool: spool, spoolBuf: bufio.NewWriterSize(spool, 256<<10)}
	r.enc = json.NewEncoder(r.spoolBuf)
	return r, nil
}

func (r *reportFile) failure(l *report.Line, row *mapping.Row) {
	if r.err != nil {
		return
	}
	rec := failureRecord{Source: l.Source, File: l.File, Sheet: l.Sheet, Line: l.Line, Outcome: string(l.Outcome),
		Field: l.Field, Key: l.Key, Reason: l.Reason, Raw: l.Raw}
	if !l.Time.IsZero() {
		t := l.Time
		if r.zone != nil {
			if loc := r.zone(l.Source); loc != nil {
				t = t.In(loc)
			}
		}
		rec.Time = t.Format(time.RFC3339)
	}
	if rec.Raw == nil && row != nil {
		rec.Raw = row.Fields
	}
	r.failures++
	r.err = r.enc.Encode(rec)
}

// abort removes the spool (always) and leaves no half-written report.
func (r *reportFile) abort() {
	if r.spool != nil {
		r.spool.Close()
		os.Remove(r.spool.Name())
		r.spool = nil
	}
}

// eachFailure replays the spooled failures.
func (r *reportFile) eachFailure(fn func(*failureRecord) error) error {
	if err := r.spoolBuf.Flush(); err != nil {
		return err
	}
	if _, err := r.spool.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(r.spool, 256<<10))
	for {
		var rec failureRecord
		if err := dec.Decode(&rec); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(&rec); err != nil {
			return err
		}
	}
}

func (r *reportFile) finish(d *Document) error {
	if r.err != nil {
		return fmt.Errorf("--report: %w", r.err)
	}
	ext := filepath.Ext(r.path) // excelize picks the format by extension
	tmp := strings.TrimSuffix(r.path, ext) + ".partial" + ext
	var err error
	switch r.format {
	case formatXLSX:
		err = r.writeXLSX(tmp, d)
	default:
		err = r.writeText(tmp, d)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("--report %s: %w", r.path, err)
	}
	if err := os.Rename(tmp, r.path); err != nil {
		return fmt.Errorf("--report: %w", err)
	}
	return nil
}

// summaryRows is the summary as (item, value) pairs, shared by all formats.
func summaryRows(d *Document) [][2]string {
	rows := [][2]string{
		{"verdict", d.Verdict},
		{"exit code", strconv.Itoa(int(d.ExitCode))},
		{"config", d.Config},
		{"rows read", strconv.FormatInt(d.Total, 10)},
		{"rows that would be rejected", strconv.FormatInt(d.Rejected, 10)},
		{"unmapped rows", strconv.FormatInt(d.Unmapped, 10)},
		{"unmapped share %", strconv.FormatFloat(d.UnmappedPercent, 'f', 2, 64)},
	}
	if d.Sample > 0 {
		rows = append(rows, [2]string{"sample (rows per source)", strconv.Itoa(d.Sample)})
	}
	codes := make([]string, 0, len(d.Counts))
	for k := range d.Counts {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	for _, k := range codes {
		rows = append(rows, [2]string{"outcome " + k, strconv.FormatInt(d.Counts[k], 10)})
	}
	for _, s := range d.Sources {
		p := "source " + s.Name + ": "
		for _, f := range s.Files {
			rows = append(rows, [2]string{p + "file", fmt.Sprintf("%s (%s %s %s %s)", f.File, f.Format, f.Encoding, f.Delimiter, f.Sheet)})
			if f.BindError != "" {
				rows = append(rows, [2]string{p + "mapping cannot bind", f.BindError})
			}
		}
		for _, f := range s.Fields {
			rows = append(rows, [2]string{p + f.Field, fmt.Sprintf("column %s: %d parsed, %d failed, %d not reached",
				strings.Join(f.Columns, " | "), f.Parsed, f.Failed, f.NotReached)})
		}
		for _, dr := range s.Dates {
			rows = append(rows, [2]string{p + "day/month order", dr.Verdict})
		}
		if dr := s.Directions; dr != nil {
			for _, c := range dr.Codes {
				rows = append(rows, [2]string{p + "direction code " + strconv.Quote(c.Code), fmt.Sprintf("%d rows → %s", c.Count, c.Direction)})
			}
		}
		for _, f := range s.Unmapped.Fixes {
			rows = append(rows, [2]string{p + fmt.Sprintf("fix placing %d keys (%d rows)", f.Keys, f.Rows), f.YAML})
		}
		rows = append(rows,
			[2]string{p + "duplicates inside the input", strconv.FormatInt(s.Duplicates.Count, 10)},
			[2]string{p + "times in the future", strconv.FormatInt(s.Future.Count, 10)},
			[2]string{p + "times before the floor date", strconv.FormatInt(s.BeforeFrom.Count, 10)},
			[2]string{p + "ambiguous local times (first occurrence taken)", strconv.FormatInt(s.Ambiguous.Count, 10)})
	}
	if c := d.Coverage; c != nil {
		rows = append(rows, [2]string{"active employees without punches", fmt.Sprintf("%d of %d", c.ActiveWithout, c.Active)})
	}
	if d.StoredNote != "" {
		rows = append(rows, [2]string{"note", d.StoredNote})
	}
	return rows
}

var (
	unmappedHeader = []string{"source", "key", "rows", "first seen", "last seen", "file", "first line", "near match employee", "matched field", "directory value", "fix"}
	failureHeader  = []string{"source", "file", "sheet", "line", "outcome", "field", "key", "time", "reason", "raw"}
)

func unmappedRow(s *SourceReport, k *UnmappedKey) []string {
	first, last := k.First, k.Last
	if loc, err := time.LoadLocation(s.Timezone); err == nil && s.Timezone != "" {
		first, last = first.In(loc), last.In(loc)
	}
	row := []string{s.Name, k.Key, strconv.FormatInt(k.Count, 10), first.Format(time.RFC3339), last.Format(time.RFC3339), k.File, strconv.Itoa(k.FirstLine)}
	if k.Near != nil {
		return append(row, k.Near.EmployeeID, k.Near.Field, k.Near.Value, k.Near.Fix)
	}
	return append(row, "", "", "", "")
}

func failureRow(f *failureRecord) []string {
	return []string{f.Source, f.File, f.Sheet, strconv.Itoa(f.Line), f.Outcome, f.Field, f.Key, f.Time, f.Reason, strings.Join(f.Raw, " | ")}
}

// xlsxSheet is one sheet of the workbook: its header, each column's width
// (characters) and whether long text in it wraps.
type xlsxSheet struct {
	name   string
	header []string
	widths []float64
	wrap   []bool
	rows   func(emit func([]string) error) error
}

// writeXLSX writes a workbook that can go to a customer as it is: each
// sheet with set column widths, long text wrapped, the header row frozen
// and filterable, file names without this machine's folders, and every
// list the terminal output points to ("see --report") on a sheet of its own.
func (r *reportFile) writeXLSX(path string, d *Document) error {
	x := excelize.NewFile()
	defer x.Close()
	bold, _ := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	wrap, _ := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	top, _ := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top"}})
	unfold := folders(d)
	written := 0
	sheets := []xlsxSheet{
		{"Summary", []string{"item", "value"}, []float64{42, 100}, []bool{true, true}, func(emit func([]string) error) error {
			for _, row := range summaryRows(d) {
				if err := emit([]string{row[0], localFree(row[1])}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"Findings", findingHeader, []float64{14, 22, 30, 8, 14, 80}, []bool{false, true, true, false, false, true}, func(emit func([]string) error) error {
			for _, row := range findingRows(d) {
				if err := emit(row); err != nil {
					return err
				}
			}
			return nil
		}},
		{"Unmapped keys", unmappedHeader, []float64{14, 18, 8, 22, 22, 24, 10, 16, 16, 16, 40}, []bool{false, false, false, false, false, true, false, false, false, false, true},
			func(emit func([]string) error) error {
				for _, s := range d.Sources {
					for i := range s.Unmapped.Keys {
						row := unmappedRow(s, &s.Unmapped.Keys[i])
						row[5] = filepath.Base(row[5])
						if err := emit(row); err != nil {
							return err
						}
					}
				}
				return nil
			}},
		{"Without punches", coverageHeader, []float64{14, 28, 16, 16, 20}, []bool{false, true, false, false, true}, func(emit func([]string) error) error {
			if d.Coverage == nil {
				return nil
			}
			for _, e := range d.Coverage.Without {
				if err := emit([]string{e.ID, e.Name, e.AttendanceNo, e.EmployeeNo, e.Department}); err != nil {
					return err
				}
			}
			if n := d.Coverage.ActiveWithout - len(d.Coverage.Without); n > 0 {
				return emit([]string{fmt.Sprintf("... %d more: the list is capped; map-check --output json lists the same", n)})
			}
			return nil
		}},
		{"Failures", failureHeader, []float64{14, 24, 12, 8, 16, 14, 16, 26, 70, 50}, []bool{false, true, false, false, false, false, false, false, true, true},
			func(emit func([]string) error) error {
				return r.eachFailure(func(f *failureRecord) error {
					if written == maxSheetRows-1 {
						written++
						return emit([]string{fmt.Sprintf("... %d more rows: Excel holds %d rows a sheet; use --report PATH.csv for all", r.failures-int64(written)+1, maxSheetRows)})
					}
					if written >= maxSheetRows {
						return nil
					}
					written++
					row := failureRow(f)
					row[1] = filepath.Base(row[1])
					return emit(row)
				})
			}},
	}
	for i, sh := range sheets {
		if i == 0 {
			if err := x.SetSheetName("Sheet1", sh.name); err != nil {
				return err
			}
		} else if _, err := x.NewSheet(sh.name); err != nil {
			return err
		}
		sw, err := x.NewStreamWriter(sh.name)
		if err != nil {
			return err
		}
		for c, w := range sh.widths {
			if err := sw.SetColWidth(c+1, c+1, w); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		n := 1
		emit := func(cells []string) error {
			vals := make([]any, len(cells))
			for c, v := range cells {
				style := top
				switch {
				case n == 1:
					style = bold
				case c < len(sh.wrap) && sh.wrap[c]:
					style = wrap
				}
				vals[c] = excelize.Cell{StyleID: style, Value: report.SafeCell(unfold.Replace(v))}
			}
			cell, _ := excelize.CoordinatesToCellName(1, n)
			n++
			return sw.SetRow(cell, vals)
		}
		if err := emit(sh.header); err != nil {
			return err
		}
		if err := sh.rows(emit); err != nil {
			return err
		}
		// A table over the rows: filter buttons on the header (the stream
		// writer has no plain autofilter).
		last, _ := excelize.CoordinatesToCellName(len(sh.header), max(n-1, 2))
		noStripes := false
		if err := sw.AddTable(&excelize.Table{Range: "A1:" + last, Name: strings.ReplaceAll(sh.name, " ", "_"), ShowRowStripes: &noStripes}); err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	x.SetActiveSheet(0)
	return x.SaveAs(path)
}

var (
	findingHeader  = []string{"source", "finding", "field / file", "line", "key", "detail"}
	coverageHeader = []string{"id", "name", "attendance_no", "employee_no", "department"}
)

// findingRows are the findings the terminal shows with their examples:
// what looks wrong with the mapping, direction codes, duplicates, times
// in the future or before the floor, in-and-out pairs.
func findingRows(d *Document) [][]string {
	var rows [][]string
	for _, s := range d.Sources {
		for _, x := range s.Suspicions {
			rows = append(rows, []string{s.Name, "mapping looks wrong", x.Field, "", "", x.Message})
		}
		if dr := s.Directions; dr != nil {
			for _, c := range dr.Codes {
				rows = append(rows, []string{s.Name, "direction code", dr.Column, "", c.Code, fmt.Sprintf("%d rows → %s", c.Count, c.Direction)})
			}
		}
		for _, f := range []struct {
			what string
			f    Finding
		}{{"duplicate inside the input", s.Duplicates}, {"time in the future", s.Future}, {"time before the floor date", s.BeforeFrom},
			{"ambiguous local time (first occurrence taken)", s.Ambiguous},
			{"in and out in the same second", s.SameSecondPairs}, {"unreadable row", s.Unreadable}} {
			for _, ex := range f.f.Examples {
				rows = append(rows, []string{s.Name, f.what, filepath.Base(ex.File), strconv.Itoa(ex.Line), ex.Key, ex.Reason})
			}
			if n := f.f.Count - int64(len(f.f.Examples)); n > 0 {
				rows = append(rows, []string{s.Name, f.what, "", "", "", fmt.Sprintf("... and %d more like these (every one is on the Failures sheet when the row is rejected)", n)})
			}
		}
	}
	return rows
}

// folders removes the folders of the config and of every file read from
// text such as a reason ("same ... as /srv/att/gate.csv line 5").
func folders(d *Document) *strings.Replacer {
	seen := map[string]bool{}
	var dirs []string
	add := func(p string) {
		if p == "" || !filepath.IsAbs(p) {
			return
		}
		dir := filepath.Dir(p) + string(filepath.Separator)
		if !seen[dir] && dir != string(filepath.Separator) {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
	}
	add(d.Config)
	for _, s := range d.Sources {
		for _, f := range s.Files {
			add(f.File)
		}
	}
	// Longer folders first, so a subfolder is not left half-cut.
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	pairs := make([]string, 0, 2*len(dirs))
	for _, dir := range dirs {
		pairs = append(pairs, dir, "")
	}
	return strings.NewReplacer(pairs...)
}

// localFree drops this machine's folders from a value that is a path (the
// config, a file), keeping the file's name: the workbook goes to a
// customer, the folders say nothing to them.
func localFree(v string) string {
	if filepath.IsAbs(v) || strings.HasPrefix(v, `\\`) || len(v) > 2 && v[1] == ':' && (v[2] == '\\' || v[2] == '/') {
		head, rest, _ := strings.Cut(v, " (")
		if rest != "" {
			return filepath.Base(head) + " (" + rest
		}
		return filepath.Base(head)
	}
	if head, rest, ok := strings.Cut(v, " ("); ok && filepath.IsAbs(head) {
		return filepath.Base(head) + " (" + rest
	}
	return v
}

// writeText writes .csv (one table, a section column first, each section
// with its own header row; UTF-8 with a BOM so Excel reads it) or .jsonl
// (one object per line with a "type": summary, unmapped_key, failure).
func (r *reportFile) writeText(path string, d *Document) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := bufio.NewWriterSize(f, 256<<10)
	if r.format == formatJSONL {
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(struct {
			Type string `json:"type"`
			*Document
		}{"summary", d}); err != nil {
			return err
		}
		for _, s := range d.Sources {
			for i := range s.Unmapped.Keys {
				if err := enc.Encode(struct {
					Type   string `json:"type"`
					Source string `json:"source"`
					*UnmappedKey
				}{"unmapped_key", s.Name, &s.Unmapped.Keys[i]}); err != nil {
					return err
				}
			}
		}
		err = r.eachFailure(func(fr *failureRecord) error {
			return enc.Encode(struct {
				Type string `json:"type"`
				*failureRecord
			}{"failure", fr})
		})
	} else {
		buf.WriteString("\uFEFF")
		w := csv.NewWriter(buf)
		safe := func(section string, cells []string) error {
			rec := make([]string, 0, len(cells)+1)
			rec = append(rec, section)
			for _, c := range cells {
				rec = append(rec, report.SafeCell(c))
			}
			return w.Write(rec)
		}
		safe("section", []string{"item", "value"})
		for _, row := range summaryRows(d) {
			safe("summary", []string{row[0], row[1]})
		}
		safe("section", unmappedHeader)
		for _, s := range d.Sources {
			for i := range s.Unmapped.Keys {
				safe("unmapped_key", unmappedRow(s, &s.Unmapped.Keys[i]))
			}
		}
		safe("section", failureHeader)
		err = r.eachFailure(func(fr *failureRecord) error { return safe("failure", failureRow(fr)) })
		w.Flush()
		if err == nil {
			err = w.Error()
		}
	}
	if err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	return f.Close()
}
