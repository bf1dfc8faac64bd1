package report

import (
	"bufio"
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
	json *json.Encoder
	// line is the CSV record being built, kept from record to record.
	line []byte
	Path string
}

// CreateFile creates a report file (and its folder) at path.
func CreateFile(path, format string, header []string) (*File, error) {
	return createFile(path, format, header, nil)
}

// createFile is CreateFile whose bytes also go to copy, when not nil.
func createFile(path, format string, header []string, copy io.Writer) (*File, error) {
	// Owner-only whatever the umask: a report holds employee ids and times.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var out io.Writer = f
	if copy != nil {
		out = io.MultiWriter(f, copy)
	}
	rf := NewFile(out, format, header)
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
	// The header is ours, not data: no formula escaping.
	_ = rf.endLine(appendFields(rf.line[:0], header...))
	return rf
}

// JSON reports whether records go out as JSON lines.
func (rf *File) JSON() bool { return rf.json != nil }

// Record writes one CSV record, escaping cells a spreadsheet would run as
// formulas.
func (rf *File) Record(rec []string) error {
	return rf.endLine(appendCells(rf.line[:0], rec...))
}

// endLine ends the record built in b, which grew from rf.line, and writes
// it; b's memory is kept for the next record.
func (rf *File) endLine(b []byte) error {
	b = append(b, '\n')
	rf.line = b
	_, err := rf.buf.Write(b)
	return err
}

// Object writes one JSON line.
func (rf *File) Object(v any) error { return rf.json.Encode(v) }

// Close flushes, syncs and closes the report.
func (rf *File) Close() error {
	if err := rf.buf.Flush(); err != nil {
		return fmt.Errorf("report %s: %w", rf.Path, err)
	}
	if rf.f != nil {
		// A report sent to a device (--report /dev/null, NUL) has nothing
		// to sync, and saying so must not fail a run that went well.
		if fi, err := rf.f.Stat(); err == nil && fi.Mode().IsRegular() {
			if err := rf.f.Sync(); err != nil {
				rf.f.Close()
				return fmt.Errorf("report %s: %w", rf.Path, err)
			}
		}
		return rf.f.Close()
	}
	return nil
}
