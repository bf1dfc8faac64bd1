package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is the mechanics every hrsync report shares: CSV that Excel opens
// cleanly (UTF-8 with a BOM, formula characters escaped), or JSON lines.
// The import, resync and push-users reports each write their own records
// through one.
type File struct {
	f    *os.File
	buf  *bufio.Writer
	csv  *csv.Writer
	json *json.Encoder
	Path string
}

// CreateFile creates a report file (and its folder) at path.
func CreateFile(path, format string, header []string) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	rf := NewFile(f, format, header)
	rf.f, rf.Path = f, path
	return rf, nil
}

// NewFile writes a report to an open writer; header is the CSV header.
func NewFile(out io.Writer, format string, header []string) *File {
	rf := &File{buf: bufio.NewWriterSize(out, 256<<10)}
	if format == JSONL {
		rf.json = json.NewEncoder(rf.buf)
		rf.json.SetEscapeHTML(false)
		return rf
	}
	rf.buf.WriteString("\uFEFF") // so Excel reads UTF-8
	rf.csv = csv.NewWriter(rf.buf)
	_ = rf.csv.Write(header)
	return rf
}

// JSON reports whether records go out as JSON lines.
func (rf *File) JSON() bool { return rf.json != nil }

// Record writes one CSV record, escaping cells a spreadsheet would run as
// formulas. It changes rec in place.
func (rf *File) Record(rec []string) error {
	for i := range rec {
		rec[i] = SafeCell(rec[i])
	}
	return rf.csv.Write(rec)
}

// Object writes one JSON line.
func (rf *File) Object(v any) error { return rf.json.Encode(v) }

// Close flushes, syncs and closes the report.
func (rf *File) Close() error {
	if rf.csv != nil {
		rf.csv.Flush()
		if err := rf.csv.Error(); err != nil {
			return err
		}
	}
	if err := rf.buf.Flush(); err != nil {
		return fmt.Errorf("report %s: %w", rf.Path, err)
	}
	if rf.f != nil {
		if err := rf.f.Sync(); err != nil {
			return err
		}
		return rf.f.Close()
	}
	return nil
}
