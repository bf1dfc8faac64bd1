package pushusers

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hrsync/hrsync/importer/report"
)

// ReportWriter writes one line per employee, as CSV that Excel opens
// cleanly (UTF-8 with a byte-order mark, formula characters escaped) or as
// JSON lines. Decisions never hold a password, so neither can the report.
type ReportWriter struct {
	f    *os.File
	buf  *bufio.Writer
	csv  *csv.Writer
	json *json.Encoder
	Path string
}

var reportHeader = []string{"employee_id", "name", "outcome", "applied", "changes", "manual_changes", "reason", "source", "file", "line"}

// CreateReport opens a report file; format is report.CSV or report.JSONL.
func CreateReport(path, format string) (*ReportWriter, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	w := NewReport(f, format)
	w.f, w.Path = f, path
	return w, nil
}

// NewReport writes a report to an open writer.
func NewReport(out io.Writer, format string) *ReportWriter {
	w := &ReportWriter{buf: bufio.NewWriterSize(out, 64<<10)}
	if format == report.JSONL {
		w.json = json.NewEncoder(w.buf)
		w.json.SetEscapeHTML(false)
		return w
	}
	w.buf.WriteString("\uFEFF")
	w.csv = csv.NewWriter(w.buf)
	_ = w.csv.Write(reportHeader)
	return w
}

// Write records one decision.
func (w *ReportWriter) Write(d *Decision) error {
	if w.json != nil {
		return w.json.Encode(d)
	}
	line := ""
	if d.Origin.Line > 0 {
		line = strconv.Itoa(d.Origin.Line)
	}
	rec := []string{d.ID, d.Name, string(d.Outcome), strconv.FormatBool(d.Applied), describe(d.Set), describe(d.Manual),
		d.Reason, d.Origin.Source, d.Origin.File, line}
	for i := range rec {
		rec[i] = report.SafeCell(rec[i])
	}
	return w.csv.Write(rec)
}

// Close flushes and closes the report.
func (w *ReportWriter) Close() error {
	if w.csv != nil {
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
	}
	if err := w.buf.Flush(); err != nil {
		return fmt.Errorf("report %s: %w", w.Path, err)
	}
	if w.f != nil {
		return w.f.Close()
	}
	return nil
}
