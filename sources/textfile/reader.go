// Package textfile streams rows out of delimited text exports: .csv, .txt,
// Excel's "Unicode text" and ZKTeco attlog.dat. Memory stays constant
// whatever the file's size: one buffer of 64 KiB plus the longest record.
// The fields of a record share one string, its line, as encoding/csv's do:
// a field kept alive (map-check keeps keys) keeps only its line with it.
//
// Open works out the encoding (byte-order mark, then strict UTF-8, then the
// configured fallback), the delimiter (see detectDelimiter) and reads the
// header; Next then hands out one mapping.Row per record. A record that can
// be read but is malformed comes back with Row.Err set, and reading goes on
// with the next one; only I/O failures end the stream with an error.
package textfile

import (
	"bufio"
	"bytes"
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
	// the file wins over it where the text bears the mark out; otherwise
	// the conflict is an error.
	Encoding string
	// Fallback is the encoding auto uses when the file has no byte-order
	// mark and its first 64 KiB are not valid UTF-8. "" means none: Open
	// then fails and names the first invalid byte.
	Fallback string
	// MaxLineBytes is the longest line (a record, with the line breaks
	// inside its quotes) a file may hold; 0 means DefaultMaxLineBytes. A
	// longer one fails the file, naming the line and the limit.
	MaxLineBytes int

	// csvOnly, in tests, reads plain lines through encoding/csv too, the
	// reference nextPlain is held to.
	csvOnly bool
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

	// CSV mode. Plain lines (see nextPlain) are split here, the rest by
	// csv. The two take turns on one buffer, r.in, and csv counts only the
	// lines it read itself.
	csv        *csv.Reader
	comma      byte     // the delimiter; 0 when every line goes through csv
	plain      []byte   // plain lines taken from r.in, not handed out yet
	plainBuf   []byte   // what plain slices, reused
	plainLines int      // lines nextPlain handed out or skipped
	csvLines   int      // lines csv consumed, as csv numbers them
	lines      *lineLog // the recent text, for the lines csv refuses
	limit      *lineLimiter

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

	if opt.MaxLineBytes, err = ParseMaxLineBytes(opt.MaxLineBytes); err != nil {
		return nil, fmt.Errorf("%s: max_line_bytes %w", path, err)
	}

	f, err := os.Open(path)
	if err != nil {
		return nil, err // already "open <path>: ..."
	}
	r, err := newReader(f, path, source, declared, fallback, delimiter, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func newReader(f *os.File, path, source, declared, fallback, delimiter string, opt Options) (*Reader, error) {
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
		checkUTF8: enc == encUTF8,
	}
	if opt.MaxLineBytes == 0 {
		opt.MaxLineBytes = DefaultMaxLineBytes
	}
	r.read(newLineLog(text), opt.MaxLineBytes)

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
		// r.in is a bufio.Reader bigger than csv's own, so csv reads from
		// it directly rather than through a buffer of its own: whatever
		// csv has not read yet is still in r.in for nextPlain.
		r.csv = newCSV(r.in, delimiterRune(delimiter))
		if !opt.csvOnly {
			r.comma = byte(r.csv.Comma)
		}
	}

	hasHeader := delimiter != delimWhitespace
	if opt.Header != nil {
		hasHeader = *opt.Header
	}
	if hasHeader {
		var row mapping.Row
		err := r.next(&row)
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

// BytesRead is how far into the file reading has got, in bytes (counting
// what is buffered ahead), for a progress bar. Call it between Nexts.
func (r *Reader) BytesRead() int64 {
	n, err := r.file.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0
	}
	return n
}

// Next returns the next record, or io.EOF after the last. A malformed record
// comes back with Row.Err set; an error return means reading cannot go on
// (it names the file). Quoting follows RFC 4180 through encoding/csv, so a
// quote that is never closed takes the rest of the file into one field
// until a later quote ends it: that comes back as one row with Err naming
// where the record starts and where parsing failed.
func (r *Reader) Next() (row mapping.Row, err error) {
	err = r.next(&row)
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

// next reads the next record into row. Rows are filled in place, not
// returned, as copying them through the layers cost more than reading.
func (r *Reader) next(row *mapping.Row) error {
	if r.whitespace {
		return r.nextWhitespace(row)
	}
	return r.nextCSV(row)
}

func (r *Reader) origin(line int) mapping.Origin {
	return mapping.Origin{Source: r.source, File: r.path, Line: line}
}

func (r *Reader) nextCSV(row *mapping.Row) error {
	for {
		if fields, line, ok := r.nextPlain(); ok {
			*row = mapping.Row{Origin: r.origin(line), Header: r.header, Fields: fields}
			return nil
		}
		r.limit.mark()
		record, err := r.csv.Read()
		if err != nil {
			var parseErr *csv.ParseError
			var tooLong *LineTooLongError
			switch {
			case errors.As(err, &tooLong):
				return fmt.Errorf("%s: line %d: %w", r.path, r.csvLines+r.plainLines+1, err)
			case errors.As(err, &parseErr):
				r.csvLines = parseErr.Line // where csv stopped reading
				shifted := *parseErr
				shifted.StartLine += r.plainLines
				shifted.Line += r.plainLines
				*row = mapping.Row{Origin: r.origin(shifted.StartLine), Header: r.header, Err: &shifted}
				if shifted.Line > shifted.StartLine && errors.Is(parseErr.Err, csv.ErrQuote) {
					// A quote that never closes took the lines after it into
					// one field: the broken line is refused, and the lines
					// after it are read again, each on its own.
					if rest, ok := r.lines.lines(shifted.StartLine+1, shifted.Line); ok {
						row.Text, _ = r.lines.lines(shifted.StartLine, shifted.StartLine)
						row.Err = fmt.Errorf("line %d: a quoted field opens here and never closes; the lines after it are read on their own", shifted.StartLine)
						r.refeed(rest, shifted.StartLine)
						return nil
					}
				}
				row.Text, _ = r.lines.lines(shifted.StartLine, shifted.Line)
				return nil
			case err == io.EOF:
				return io.EOF
			default:
				return fmt.Errorf("%s: %w", r.path, err)
			}
		}
		r.csvLines = r.csvRecordEnd(record)
		if isBlankRecord(record) {
			continue
		}
		line, _ := r.fieldPos(0)
		*row = mapping.Row{
			Origin: r.origin(line),
			Header: r.header,
			Fields: r.keep(record), // ReuseRecord recycles the slice
		}
		if r.checkUTF8 {
			row.Err = r.invalidCSVField(row.Fields)
		}
		return nil
	}
}

// nextPlain reads the next record when its line is plain: whole in the
// buffer, without a quote, and valid UTF-8 where that is checked. For such
// a line encoding/csv does no more than split it at the delimiter, so this
// gives the fields it would, several times faster. It skips blank lines
// as nextCSV does. ok is false when the next line is not plain: csv reads
// that one, as it reads a line that runs past the end of the buffer.
func (r *Reader) nextPlain() (fields []string, line int, ok bool) {
	for r.comma != 0 {
		if len(r.plain) == 0 && !r.takePlain() {
			return nil, 0, false
		}
		end := bytes.IndexByte(r.plain, '\n')
		text := string(bytes.TrimSuffix(r.plain[:end], []byte("\r"))) // csv drops one \r before the \n
		r.plain = r.plain[end+1:]
		fields = r.split(text)
		r.plainLines++
		if !isBlankRecord(fields) {
			return fields, r.csvLines + r.plainLines, true
		}
	}
	return nil, 0, false
}

// takePlain copies the plain lines at the head of the buffer into r.plain
// and reports whether there were any.
func (r *Reader) takePlain() bool {
	buf, _ := r.in.Peek(r.in.Buffered())
	n := plainPrefix(buf, r.checkUTF8)
	if n == 0 {
		return false
	}
	r.plainBuf = append(r.plainBuf[:0], buf[:n]...)
	r.plain = r.plainBuf
	r.in.Discard(n)
	return true
}

// plainPrefix is the length of the plain lines buf starts with: whole
// lines (up to a \n), without a quote, valid UTF-8 when checkUTF8 is set.
func plainPrefix(buf []byte, checkUTF8 bool) int {
	n := bytes.LastIndexByte(buf, '\n') + 1
	if quote := bytes.IndexByte(buf[:n], '"'); quote >= 0 {
		n = bytes.LastIndexByte(buf[:quote], '\n') + 1
	}
	if checkUTF8 && !utf8.Valid(buf[:n]) {
		bad := invalidUTF8(buf[:n])
		n = bytes.LastIndexByte(buf[:bad], '\n') + 1
	}
	return n
}

// split cuts a plain line at the delimiter into fields the caller may keep.
func (r *Reader) split(text string) []string {
	fields := r.take(strings.Count(text, string(r.comma)) + 1)
	last := len(fields) - 1
	for i := range last {
		cut := strings.IndexByte(text, r.comma)
		fields[i], text = text[:cut], text[cut+1:]
	}
	fields[last] = text
	return fields
}

// fieldPos is csv.Reader.FieldPos numbered as the file's lines.
func (r *Reader) fieldPos(field int) (line, col int) {
	line, col = r.csv.FieldPos(field)
	return line + r.plainLines, col
}

// csvRecordEnd is the line (in csv's numbering) the record csv just read
// ends on: where its last field starts, plus the line breaks in that field.
func (r *Reader) csvRecordEnd(record []string) int {
	last := len(record) - 1
	line, _ := r.csv.FieldPos(last)
	return line + strings.Count(record[last], "\n")
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
		line, col := r.fieldPos(i)
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

func (r *Reader) nextWhitespace(row *mapping.Row) error {
	for {
		line, err := r.readLine()
		if err != nil {
			return err
		}
		r.line++
		text := string(line)
		if isBlankLine(text) {
			continue
		}
		r.scratch = splitWhitespace(text, r.scratch[:0])
		*row = mapping.Row{
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
		return nil
	}
}

// readLine returns the next line without its line ending, or io.EOF when
// none is left. The slice is valid until the next call. Lines of any length
// work: what does not fit the bufio buffer is gathered in lineBuf.
func (r *Reader) readLine() ([]byte, error) {
	r.limit.mark()
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
	kept := r.take(len(fields))
	copy(kept, fields)
	return kept
}

// take cuts n fields from the slab for keep and split.
func (r *Reader) take(n int) []string {
	if n > len(r.slab) {
		r.slab = make([]string, max(n, slabSize))
	}
	kept := r.slab[:n:n]
	r.slab = r.slab[n:]
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

// newCSV is the csv reader of a delimited file: records of any width (the
// mapping says which fields it needs), the record slice reused.
func newCSV(in io.Reader, comma rune) *csv.Reader {
	c := csv.NewReader(in)
	c.Comma = comma
	c.FieldsPerRecord = -1
	c.ReuseRecord = true
	return c
}

// refeed puts text, the lines after linesBefore that csv swallowed into an
// unterminated quote, back in front of what is still to read, and numbers
// the lines on from there.
func (r *Reader) refeed(text string, linesBefore int) {
	rest := io.MultiReader(strings.NewReader(text+"\n"), r.in)
	r.read(&lineLog{src: rest, size: lineLogSize, firstLine: linesBefore + 1}, int(r.limit.limit))
	r.csv = newCSV(r.in, r.csv.Comma)
	r.plainLines, r.csvLines = linesBefore, 0
}

// read makes lines, through the line limit, what records are read from.
func (r *Reader) read(lines *lineLog, limit int) {
	r.lines = lines
	r.limit = &lineLimiter{src: lines, limit: int64(limit)}
	r.in = bufio.NewReaderSize(r.limit, sampleSize)
	r.limit.in = r.in
}
