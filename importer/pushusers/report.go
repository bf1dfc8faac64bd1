package pushusers

import (
	"io"
	"strconv"

	"github.com/hrsync/hrsync/importer/report"
)

// ReportWriter writes one line per employee, as CSV that Excel opens
// cleanly (UTF-8 with a byte-order mark, formula characters escaped) or as
// JSON lines. Decisions never hold a password, so neither can the report.
type ReportWriter struct {
	file *report.File
	Path string
}

var reportHeader = []string{"employee_id", "name", "outcome", "applied", "changes", "manual_changes", "reason", "source", "file", "line"}

// CreateReport opens a report file; format is report.CSV or report.JSONL.
func CreateReport(path, format string) (*ReportWriter, error) {
	f, err := report.CreateFile(path, format, reportHeader)
	if err != nil {
		return nil, err
	}
	return &ReportWriter{file: f, Path: path}, nil
}

// NewReport writes a report to an open writer.
func NewReport(out io.Writer, format string) *ReportWriter {
	return &ReportWriter{file: report.NewFile(out, format, reportHeader)}
}

// Write records one decision.
func (w *ReportWriter) Write(d *Decision) error {
	if w.file.JSON() {
		return w.file.Object(d)
	}
	line := ""
	if d.Origin.Line > 0 {
		line = strconv.Itoa(d.Origin.Line)
	}
	rec := []string{d.ID, d.Name, string(d.Outcome), strconv.FormatBool(d.Applied), describe(d.Set), describe(d.Manual),
		d.Reason, d.Origin.Source, d.Origin.File, line}
	return w.file.Record(rec)
}

// Close flushes and closes the report.
func (w *ReportWriter) Close() error { return w.file.Close() }
