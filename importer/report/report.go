// Package report writes the per-row report: one line for every input row,
// whatever became of it, as CSV that Excel opens cleanly or as JSON lines.
package report

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/mapping"
)

// Line is the fate of one input row.
type Line struct {
	Source     string       `json:"source"`
	File       string       `json:"file,omitempty"`
	Sheet      string       `json:"sheet,omitempty"`
	Line       int          `json:"line"`
	Key        string       `json:"key,omitempty"`
	EmployeeID string       `json:"employee_id,omitempty"`
	Time       time.Time    `json:"-"`
	Direction  string       `json:"direction,omitempty"`
	Device     string       `json:"device,omitempty"`
	Outcome    mapping.Code `json:"outcome"`
	// Field is the mapped field at fault (employee_key, time, date,
	// direction, device) when mapping rejected the row.
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Raw is the row's fields as read, kept for rejected rows so they can
	// be fixed and imported again. The CSV report writes them as one cell,
	// the record re-quoted as CSV (RawLine).
	Raw []string `json:"raw,omitempty"`
}

// RawLine is fields as one CSV record (comma separated, quoted as
// encoding/csv would), the form the report's raw column holds.
func RawLine(fields []string) string { return string(appendFields(nil, fields...)) }

// Counts tallies outcomes.
type Counts map[mapping.Code]int64

// Total is the number of rows counted.
func (c Counts) Total() int64 {
	var n int64
	for _, v := range c {
		n += v
	}
	return n
}

// Rejected is the number of rows not placed.
func (c Counts) Rejected() int64 {
	var n int64
	for k, v := range c {
		if !k.Placed() {
			n += v
		}
	}
	return n
}

// Sorted returns the outcomes in a stable order for printing.
func (c Counts) Sorted() []mapping.Code {
	keys := make([]mapping.Code, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// Writer writes report lines and counts them.
type Writer struct {
	file   *File
	loc    *time.Location
	Counts Counts
	Path   string
	// countOnly writers tally outcomes and write nothing.
	countOnly bool
	// raw is the raw column's record being built, kept from line to line.
	raw []byte
}

// Formats a report can take.
const (
	CSV   = "csv"
	JSONL = "jsonl"
)

// Formats are the formats a report takes, in any case.
var Formats = []string{CSV, JSONL}

// ParseFormat reads an explicit format choice in any case; "" (pick by the
// file's extension) is returned as "". Config calls it, so the list is
// declared once, here.
func ParseFormat(s string) (string, error) {
	f, err := setting.Choice(strings.ToLower(s), "", Formats)
	if err != nil {
		return "", fmt.Errorf("%q: want %s", s, strings.Join(Formats, ", ")) // as written, not folded
	}
	return f, nil
}

// FormatFor picks the format from an explicit choice or the file's
// extension. A name whose extension says another kind of file (.xlsx,
// .pdf, ...) is refused rather than filled with CSV: Excel would refuse
// to open it. Both refusals are usage errors.
func FormatFor(path, explicit string) (string, error) {
	format, err := ParseFormat(explicit)
	if err != nil {
		return "", exitcode.Usagef("report format %w", err)
	}
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".jsonl", ".json", ".ndjson":
		return cmp.Or(format, JSONL), nil
	}
	if !textExtension(ext) {
		return "", exitcode.Usagef("report %s: hrsync writes reports as csv or jsonl, not %s; name the file .csv or .jsonl", path, ext)
	}
	return cmp.Or(format, CSV), nil
}

// textExtension reports whether a file named with ext may hold a text
// report: anything but the extensions of binary documents, which their
// programs would refuse to open.
func textExtension(ext string) bool {
	switch ext {
	case ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".pdf", ".doc", ".docx", ".odt", ".zip", ".gz":
		return false
	}
	return true
}

var header = []string{"source", "file", "sheet", "line", "key", "employee_id", "time", "direction", "device", "outcome", "reason", "raw"}

// Create opens a report file. Times are written in loc.
func Create(path, format string, loc *time.Location) (*Writer, error) {
	return CreateCopy(path, format, loc, nil)
}

// CreateCopy opens a report file whose bytes also go to copy, when not nil.
func CreateCopy(path, format string, loc *time.Location, copy io.Writer) (*Writer, error) {
	f, err := createFile(path, format, header, copy)
	if err != nil {
		return nil, err
	}
	return &Writer{file: f, loc: orUTC(loc), Counts: Counts{}, Path: path}, nil
}

// New writes a report to an open writer (for tests and stdout).
func New(out io.Writer, format string, loc *time.Location) *Writer {
	return &Writer{file: NewFile(out, format, header), loc: orUTC(loc), Counts: Counts{}}
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

type jsonLine struct {
	Line
	Time string `json:"time,omitempty"`
	// RawLine is Raw as the CSV report's raw column has it.
	RawLine string `json:"raw_line,omitempty"`
}

// CountOnly returns a Writer that only counts outcomes.
func CountOnly() *Writer { return &Writer{Counts: Counts{}, countOnly: true} }

// Write records one line.
func (w *Writer) Write(l *Line) error {
	w.Counts[l.Outcome]++
	if w.countOnly {
		return nil
	}
	if w.file.JSON() {
		ts := ""
		if !l.Time.IsZero() {
			ts = l.Time.In(w.loc).Format(time.RFC3339)
		}
		jl := jsonLine{Line: *l, Time: ts}
		if len(l.Raw) > 0 {
			jl.RawLine = RawLine(l.Raw)
		}
		return w.file.Object(jl)
	}
	return w.file.endLine(w.appendCSV(w.file.line[:0], l))
}

// appendCSV appends l as a CSV record in header order, formatting the line
// number and time straight into b. The raw fields go into the one raw
// column, so every record has the header's columns, whatever the row held.
func (w *Writer) appendCSV(b []byte, l *Line) []byte {
	b = appendCells(b, l.Source, l.File, l.Sheet)
	b = appendInt(append(b, ','), l.Line)
	b = appendCells(append(b, ','), l.Key, l.EmployeeID)
	b = append(b, ',')
	if !l.Time.IsZero() {
		b = appendTime(b, l.Time.In(w.loc))
	}
	b = appendCells(append(b, ','), l.Direction, l.Device, string(l.Outcome), l.Reason)
	b = append(b, ',')
	if len(l.Raw) > 0 {
		w.raw = appendFields(w.raw[:0], l.Raw...)
		b = appendCell(b, string(w.raw)) // rejects only: the copy is cheap
	}
	return b
}

// SafeCell keeps a spreadsheet from reading a cell as a formula: cells that
// start with = + - @ (or a tab or carriage return) get a leading apostrophe;
// and control bytes (ESC, NUL...) are written as \xHH, not passed on.
func SafeCell(s string) string {
	s = escapeControls(s)
	if s != "" && formulaStart(s[0]) {
		return "'" + s
	}
	return s
}

// Close flushes and closes the report.
func (w *Writer) Close() error {
	if w.countOnly {
		return nil
	}
	return w.file.Close()
}
