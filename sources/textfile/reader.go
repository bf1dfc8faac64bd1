// Package textfile streams rows out of delimited text exports: .csv, .txt,
// Excel's "Unicode text" and ZKTeco attlog.dat. Memory stays constant
// whatever the file's size: one buffer of 64 KiB plus the longest record.
//
// Open works out the encoding (byte-order mark, then strict UTF-8, then the
// configured fallback), the delimiter (see detectDelimiter) and reads the
// header; Next then hands out one mapping.Row per record. A record that can
// be read but is malformed comes back with Row.Err set, and reading goes on
// with the next one; only I/O failures end the stream with an error.
package textfile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/hrsync/hrsync/mapping"
)

// Options says how to read a file. The zero value auto-detects everything.
type Options struct {
	// Delimiter is "" or "auto" (detect), ",", ";", "\t" or "tab", "|" or
	// "pipe", or "whitespace" (see splitWhitespace for the rule).
	Delimiter string
	// Header says whether the first non-blank record names the columns.
	// nil means true, except false when the delimiter (given or detected)
	// is whitespace, as punch logs have no header.
	Header *bool
	// Encoding is "" or "auto", "utf-8", "utf-16le", "utf-16be", "gb18030",
	// "gbk", "big5", "windows-1252" or "windows-1258". A byte-order mark in
	// the file wins over it.
	Encoding string
	// Fallback is the encoding auto uses when the file has no byte-order
	// mark and its first 64 KiB are not valid UTF-8. "" means none: Open
	// then fails and names the first invalid byte.
	Fallback string
}

// Detection is what Open decided, for map-check and the logs.
type Detection struct {
	File       string
	Encoding   string   // canonical name, e.g. "utf-8", "gbk"
	Delimiter  string   // ",", ";", "tab", "|" or "whitespace"
	HeaderLine int      // 1-based line of the header, 0 when there is none
	Columns    []string // header names, trimmed; nil when there is no header
}

// Reader streams the rows of one file. It is not safe for concurrent use.
type Reader struct {
	path, source string
	file         *os.File
	in           *bufio.Reader
	detected     Detection
	header       []string
	checkUTF8    bool // the text is meant to be UTF-8 and nothing has validated it

	// CSV mode.
	csv *csv.Reader

	// Whitespace mode.
	whitespace bool
	line       int      // physical lines consumed so far
	lineBuf    []byte   // holds a line longer than the bufio buffer
	scratch    []string // fields of the current line, reused

	slab []string // where kept fields are copied to; see keep
}

// Open opens path and prepares to read it. source is the configured source
// name, copied into every row's Origin.
func Open(path, source string, opt Options) (*Reader, error) {
	declared, err := canonicalEncoding(opt.Encoding)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	fallback, err := canonicalEncoding(opt.Fallback)
	if err != nil {
		return nil, fmt.Errorf("%s: fallback: %w", path, err)
	}
	delimiter, err := canonicalDelimiter(opt.Delimiter)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	f, err := os.Open(path)
	if err != nil {
		return nil, err // already "open <path>: ..."
	}
	r, err := newReader(f, path, source, declared, fallback, delimiter, opt.Header)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func newReader(f *os.File, path, source, declared, fallback, delimiter string, header *bool) (*Reader, error) {
	raw := make([]byte, sampleSize)
	n, err := io.ReadFull(f, raw)
	rawAtEOF := err == io.EOF || err == io.ErrUnexpectedEOF
	if err != nil && !rawAtEOF {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("file %s is empty", path)
	}
	enc, bomLen, err := chooseEncoding(path, raw[:n], rawAtEOF, declared, fallback)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(int64(bomLen), io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var text io.Reader = f
	if e := decoderFor(enc); e != nil {
		var decoder transform.Transformer = e.NewDecoder()
		if enc == encWindows1258 {
			// Windows-1258 writes most Vietnamese letters as a base letter
			// plus a combining mark ("a" + U+0303 for "ã"); compose them so
			// "Mã NV" in the file equals "Mã NV" typed in the configuration.
			decoder = transform.Chain(decoder, norm.NFC)
		}
		text = transform.NewReader(f, decoder)
	}
	r := &Reader{
		path:      path,
		source:    source,
		file:      f,
		in:        bufio.NewReaderSize(text, sampleSize),
		checkUTF8: enc == encUTF8,
	}

	sample, err := r.in.Peek(sampleSize)
	atEOF := err == io.EOF
	if err != nil && !atEOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if atEOF && isBlankLine(strings.ReplaceAll(string(sample), "\n", "")) {
		return nil, fmt.Errorf("file %s is empty (only blank lines)", path)
	}
	if delimiter == "" {
		delimiter = detectDelimiter(sample, atEOF)
	}
	r.detected = Detection{File: path, Encoding: enc, Delimiter: delimiter}

	if delimiter == delimWhitespace {
		r.whitespace = true
	} else {
		r.csv = csv.NewReader(r.in)
		r.csv.Comma = delimiterRune(delimiter)
		r.csv.FieldsPerRecord = -1
		r.csv.ReuseRecord = true
	}

	hasHeader := delimiter != delimWhitespace
	if header != nil {
		hasHeader = *header
	}
	if hasHeader {
		row, err := r.next()
		if err == io.EOF {
			return r, nil
		}
		if err != nil {
			return nil, err
		}
		if row.Err != nil {
			return nil, fmt.Errorf("%s: header: %w", path, row.Err)
		}
		for i, name := range row.Fields {
			row.Fields[i] = strings.TrimSpace(name)
		}
		r.header = row.Fields
		r.detected.HeaderLine = row.Origin.Line
		r.detected.Columns = row.Fields
	}
	return r, nil
}

// Detected reports the encoding, delimiter and header Open settled on.
func (r *Reader) Detected() Detection { return r.detected }

// Close closes the file.
func (r *Reader) Close() error { return r.file.Close() }

// Next returns the next record, or io.EOF after the last. A malformed record
// comes back with Row.Err set; an error return means reading cannot go on
// (it names the file). Quoting follows RFC 4180 through encoding/csv, so a
// quote that is never closed takes the rest of the file into one field
// until a later quote ends it: that comes back as one row with Err naming
// where the record starts and where parsing failed.
func (r *Reader) Next() (mapping.Row, error) {
	row, err := r.next()
	if err != nil || row.Err != nil || r.header == nil {
		return row, err
	}
	// Fewer fields than the header is left to the mapper: it knows
	// whether the missing columns matter.
	if len(row.Fields) > len(r.header) {
		row.Err = fmt.Errorf("line %d: row has %d fields, header has %d", row.Origin.Line, len(row.Fields), len(r.header))
	}
	return row, nil
}

func (r *Reader) next() (mapping.Row, error) {
	if r.whitespace {
		return r.nextWhitespace()
	}
	return r.nextCSV()
}

func (r *Reader) origin(line int) mapping.Origin {
	return mapping.Origin{Source: r.source, File: r.path, Line: line}
}

func (r *Reader) nextCSV() (mapping.Row, error) {
	for {
		record, err := r.csv.Read()
		if err != nil {
			var parseErr *csv.ParseError
			switch {
			case errors.As(err, &parseErr):
				return mapping.Row{Origin: r.origin(parseErr.StartLine), Header: r.header, Err: parseErr}, nil
			case err == io.EOF:
				return mapping.Row{}, io.EOF
			default:
				return mapping.Row{}, fmt.Errorf("%s: %w", r.path, err)
			}
		}
		if isBlankRecord(record) {
			continue
		}
		line, _ := r.csv.FieldPos(0)
		row := mapping.Row{
			Origin: r.origin(line),
			Header: r.header,
			Fields: r.keep(record), // ReuseRecord recycles the slice
		}
		if r.checkUTF8 {
			row.Err = r.invalidCSVField(row.Fields)
		}
		return row, nil
	}
}

// invalidCSVField names the first byte that is not UTF-8 in a record. The
// column is exact for unquoted fields and one short inside quotes, as the
// csv reader reports where the field starts, not where its text does.
func (r *Reader) invalidCSVField(fields []string) error {
	for i, field := range fields {
		if utf8.ValidString(field) {
			continue
		}
		bad := invalidUTF8([]byte(field))
		line, col := r.csv.FieldPos(i)
		before := field[:bad]
		if nl := strings.LastIndexByte(before, '\n'); nl >= 0 {
			line += strings.Count(before, "\n")
			col = len(before) - nl
		} else {
			col += bad
		}
		return notUTF8Error(line, col, field[bad], i+1)
	}
	return nil
}

func notUTF8Error(line, col int, b byte, field int) error {
	return fmt.Errorf("line %d, column %d (field %d): byte 0x%02X is not valid UTF-8; %s", line, col, field, b, encodingHint)
}

func (r *Reader) nextWhitespace() (mapping.Row, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return mapping.Row{}, err
		}
		r.line++
		text := string(line)
		if isBlankLine(text) {
			continue
		}
		r.scratch = splitWhitespace(text, r.scratch[:0])
		row := mapping.Row{
			Origin: r.origin(r.line),
			Header: r.header,
			Fields: r.keep(r.scratch),
		}
		if r.checkUTF8 {
			if bad := invalidUTF8(line); bad >= 0 {
				field := len(splitWhitespace(text[:bad+1], nil))
				row.Err = notUTF8Error(r.line, bad+1, line[bad], field)
			}
		}
		return row, nil
	}
}

// readLine returns the next line without its line ending, or io.EOF when
// none is left. The slice is valid until the next call. Lines of any length
// work: what does not fit the bufio buffer is gathered in lineBuf.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.in.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.lineBuf = append(r.lineBuf[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = r.in.ReadSlice('\n')
			r.lineBuf = append(r.lineBuf, line...)
		}
		line = r.lineBuf
	}
	switch {
	case err == io.EOF && len(line) == 0:
		return nil, io.EOF
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("%s: line %d: %w", r.path, r.line+1, err)
	}
	line = trimLineEnd(line)
	return line, nil
}

// slabSize is how many fields keep allocates at once.
const slabSize = 8192

// keep copies fields into a slice the caller may hold on to. Copies are cut
// from a shared slab so a million rows cost a hundred allocations instead of
// a million; the slice's capacity is capped so appending to it cannot spill
// into the next row's fields.
func (r *Reader) keep(fields []string) []string {
	n := len(fields)
	if n > len(r.slab) {
		r.slab = make([]string, max(n, slabSize))
	}
	kept := r.slab[:n:n]
	r.slab = r.slab[n:]
	copy(kept, fields)
	return kept
}

func trimLineEnd(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}
