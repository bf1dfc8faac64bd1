// Package sheet reads attendance exports from spreadsheets (.xlsx and
// BIFF8 .xls) as mapping rows: one row per non-empty sheet row, fields as
// text, dates and times rendered from their serial numbers.
package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hrsync/hrsync/mapping"
)

// Options choose the sheet and the header row.
type Options struct {
	Sheet       string   // by name; "" = default
	SheetIndex  int      // 1-based, counting every sheet in tab order, hidden ones too; 0 = default (first visible sheet that has data)
	HeaderRow   int      // 1-based row number as Excel shows it; 0 = detect
	HeaderHints []string // mapped column names; the header row is the first row containing them (case-insensitive, trimmed)
	Header      *bool    // nil = true
}

// Detection says what Open found, for dry runs and logs.
type Detection struct {
	File      string
	Format    string // "xlsx" or "xls", from the file's content, not its name
	Sheet     string
	Sheets    []string
	HeaderRow int // 0 when the sheet is read without a header
	Columns   []string
}

// headerScanRows is how many non-empty rows are looked at to find the header.
const headerScanRows = 100

// workbook is an open file of either format.
type workbook interface {
	sheetList() []sheetEntry
	openSheet(name string) (rowSource, error)
	close() error
}

// rowSource hands out a sheet's rows in order: the row number as Excel
// shows it and the cells by column (index 0 is column A). Rows may be empty.
// The cell slice is only valid until the next call.
type rowSource interface {
	next() (int, []cell, error)
	close() error
}

type rawRow struct {
	num   int
	cells []cell
}

// Reader reads one sheet of a workbook.
type Reader struct {
	source  string
	book    workbook
	rows    rowSource
	det     Detection
	header  []string
	pending []rawRow // rows read while looking for the header
	err     error    // sticky: after a read error every call returns it
}

// Open opens a workbook, picks the sheet and finds the header row. The
// format is taken from the content, so an .xls named .xlsx is read as .xls.
func Open(path, source string, opt Options) (r *Reader, err error) {
	var book workbook
	defer func() {
		if p := recover(); p != nil {
			if book != nil {
				book.close()
			}
			r, err = nil, fmt.Errorf("%s: reading failed (corrupt file?): %v", path, p)
		}
	}()
	format, err := sniff(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch format {
	case "xlsx":
		b, err := openXLSX(path)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read as .xlsx: %w", path, err)
		}
		book = b
	case "xls":
		b, err := openXLS(path)
		if err != nil {
			if errors.Is(err, errPasswordProtected) {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return nil, fmt.Errorf("%s: cannot read as .xls: %w", path, err)
		}
		book = b
	case "html":
		b, err := openHTML(path)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read as an HTML table: %w", path, err)
		}
		book = b
	}
	r = &Reader{source: source, book: book, det: Detection{File: path, Format: format}}
	for _, s := range book.sheetList() {
		r.det.Sheets = append(r.det.Sheets, s.name)
	}
	if err := r.chooseSheet(opt); err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := r.findHeader(opt); err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: sheet %s: %w", path, r.det.Sheet, err)
	}
	return r, nil
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// sniff tells the format from the first bytes of the file.
func sniff(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return "xlsx", nil
	case bytes.HasPrefix(head, oleMagic):
		return "xls", nil
	case n == 0 && err != nil:
		return "", errors.New("the file is empty")
	}
	// Many "Excel exports" are something else under an .xls name.
	lower := bytes.ToLower(head)
	switch {
	case isHTML(head):
		return "html", nil // an export saved as .xls: html.go
	case bytes.Contains(lower, []byte("urn:schemas-microsoft-com:office:spreadsheet")):
		return "", errors.New("an Excel 2003 XML spreadsheet, which is not supported: save it as .xlsx")
	case utf8.Valid(head) && !bytes.ContainsRune(head, 0):
		return "", errors.New("not an Excel workbook but a text file: read it as a text (CSV) source")
	}
	return "", errors.New("not an Excel workbook: neither .xlsx (zip) nor .xls (OLE2) content")
}

func (r *Reader) chooseSheet(opt Options) error {
	sheets := r.book.sheetList()
	if len(sheets) == 0 {
		return errors.New("the workbook has no worksheets")
	}
	switch {
	case opt.Sheet != "":
		name := ""
		for _, s := range sheets {
			if s.name == opt.Sheet || (name == "" && strings.EqualFold(strings.TrimSpace(s.name), strings.TrimSpace(opt.Sheet))) {
				name = s.name
			}
		}
		if name == "" {
			return fmt.Errorf("no sheet named %q; the workbook has %s", opt.Sheet, listSheets(sheets))
		}
		return r.useSheet(name)
	case opt.SheetIndex != 0:
		if opt.SheetIndex < 1 || opt.SheetIndex > len(sheets) {
			return fmt.Errorf("no sheet number %d; the workbook has %d: %s", opt.SheetIndex, len(sheets), listSheets(sheets))
		}
		return r.useSheet(sheets[opt.SheetIndex-1].name)
	}
	for _, s := range sheets {
		if s.hidden {
			continue
		}
		if err := r.useSheet(s.name); err != nil {
			return err
		}
		row, err := r.nextNonEmpty()
		if err != nil && err != io.EOF {
			return err
		}
		if err == nil {
			r.pending = append(r.pending, row)
			return nil
		}
		r.rows.close()
		r.rows = nil
	}
	return fmt.Errorf("no data: every visible sheet is empty (%s)", listSheets(sheets))
}

func listSheets(sheets []sheetEntry) string {
	var parts []string
	for i, s := range sheets {
		p := fmt.Sprintf("%d %q", i+1, s.name)
		if s.hidden {
			p += " (hidden)"
		}
		parts = append(parts, p)
	}
	return "sheets " + strings.Join(parts, ", ")
}

func (r *Reader) useSheet(name string) error {
	rows, err := r.book.openSheet(name)
	if err != nil {
		return fmt.Errorf("sheet %s: %w", name, err)
	}
	r.rows = rows
	r.det.Sheet = name
	return nil
}

// nextNonEmpty reads the next row that has a value, copying its cells.
func (r *Reader) nextNonEmpty() (rawRow, error) {
	for {
		num, cells, err := r.rows.next()
		if err != nil {
			return rawRow{}, err
		}
		cells = trimCells(cells)
		if len(cells) > 0 {
			return rawRow{num: num, cells: append([]cell(nil), cells...)}, nil
		}
	}
}

func trimCells(cells []cell) []cell {
	for len(cells) > 0 && cells[len(cells)-1].kind == cellEmpty {
		cells = cells[:len(cells)-1]
	}
	return cells
}

// findHeader reads ahead until it knows which row is the header; rows after
// it that were read stay in r.pending for Next.
func (r *Reader) findHeader(opt Options) error {
	if opt.Header != nil && !*opt.Header {
		return nil
	}
	for len(r.pending) < headerScanRows {
		row, err := r.nextNonEmpty()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if opt.HeaderRow > 0 && row.num < opt.HeaderRow {
			continue // above the given header: not needed
		}
		r.pending = append(r.pending, row)
		if opt.HeaderRow > 0 {
			break
		}
	}
	if len(r.pending) == 0 {
		return errors.New("the sheet is empty")
	}
	at := -1
	switch {
	case opt.HeaderRow > 0:
		for i, row := range r.pending {
			if row.num == opt.HeaderRow {
				at = i
			}
		}
		if at < 0 {
			return fmt.Errorf("header row %d is empty or past the end of the sheet", opt.HeaderRow)
		}
	case len(opt.HeaderHints) > 0:
		at = findByHints(r.pending, opt.HeaderHints)
		if at < 0 {
			return fmt.Errorf("no row among the first %d non-empty rows holds all the columns %s; set header_row", len(r.pending), quoteAll(opt.HeaderHints))
		}
	default:
		at = guessHeader(r.pending)
		if at < 0 {
			return errors.New("found no header row (a row of two or more text cells followed by data); set header_row or name the columns")
		}
	}
	// Data wider than the header (under a merged header cell, or a column
	// nobody named) gets named columns too, as far as the rows read so far go.
	header := r.pending[at].cells
	r.det.HeaderRow = r.pending[at].num
	r.pending = r.pending[at+1:]
	for _, row := range r.pending {
		for len(header) < len(row.cells) {
			header = append(header, cell{})
		}
	}
	r.header = headerNames(header)
	r.det.Columns = r.header
	return nil
}

func findByHints(rows []rawRow, hints []string) int {
	for i, row := range rows {
		have := map[string]bool{}
		for _, c := range row.cells {
			if c.kind == cellText {
				have[strings.ToLower(strings.TrimSpace(c.text))] = true
			}
		}
		all := true
		for _, h := range hints {
			if !have[strings.ToLower(strings.TrimSpace(h))] {
				all = false
				break
			}
		}
		if all {
			return i
		}
	}
	return -1
}

// guessHeader picks the first row of two or more cells, all text, that is
// followed by data. Such a row is passed over when the row under it is
// wider and is itself all text: then it is a title ("Report", "Dec 2025")
// over the real header. A narrower header over wider data is kept: that is
// a merged header cell.
func guessHeader(rows []rawRow) int {
	for i := 0; i+1 < len(rows); i++ {
		n, text := textCells(rows[i])
		if n < 2 || !text {
			continue
		}
		next, nextText := textCells(rows[i+1])
		if next > n && nextText {
			continue
		}
		return i
	}
	return -1
}

// textCells counts a row's non-empty cells and says whether all are text.
func textCells(row rawRow) (n int, allText bool) {
	allText = true
	for _, c := range row.cells {
		if c.kind != cellEmpty {
			n++
			allText = allText && c.kind == cellText
		}
	}
	return n, allText
}

// headerNames trims the header cells. A cell left empty (the tail of a
// merged header cell, or a column nobody named) is called "Column C" after
// its letter, so it can still be mapped.
func headerNames(cells []cell) []string {
	names := make([]string, len(cells))
	for i, c := range cells {
		names[i] = strings.TrimSpace(c.text)
		if names[i] == "" {
			names[i] = "Column " + columnName(i+1)
		}
	}
	return names
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// Next returns the next non-empty row after the header; io.EOF at the end.
// A row holding an error cell (#N/A, #REF!, ...) comes back with Err set.
func (r *Reader) Next() (row mapping.Row, err error) {
	if r.err != nil {
		return mapping.Row{}, r.err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: sheet %s: reading failed (corrupt file?): %v", r.det.File, r.det.Sheet, p)
			r.err = err
		}
	}()
	var raw rawRow
	if len(r.pending) > 0 {
		raw, r.pending = r.pending[0], r.pending[1:]
	} else {
		raw, err = r.nextNonEmpty()
		if err != nil {
			if err != io.EOF {
				err = fmt.Errorf("%s: %w", r.det.File, err)
			}
			r.err = err
			return mapping.Row{}, err
		}
	}
	return r.toRow(raw), nil
}

func (r *Reader) toRow(raw rawRow) mapping.Row {
	n := max(len(raw.cells), len(r.header))
	fields := make([]string, n)
	row := mapping.Row{
		Origin: mapping.Origin{Source: r.source, File: r.det.File, Sheet: r.det.Sheet, Line: raw.num},
		Header: r.header,
		Fields: fields,
	}
	for i, c := range raw.cells {
		fields[i] = c.text
		if c.kind == cellError && row.Err == nil {
			row.Err = fmt.Errorf("error cell %s!%s: %s", sheetRef(r.det.Sheet), cellRef(i+1, raw.num), c.text)
		}
	}
	return row
}

// sheetRef quotes a sheet name the way Excel does in a reference.
func sheetRef(name string) string {
	for _, c := range name {
		if !(c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c > 127) {
			return "'" + strings.ReplaceAll(name, "'", "''") + "'"
		}
	}
	return name
}

// Detected reports the format, sheet and header that Open settled on.
func (r *Reader) Detected() Detection { return r.det }

// Close releases the file.
func (r *Reader) Close() error {
	var err error
	if r.rows != nil {
		err = r.rows.close()
		r.rows = nil
	}
	if r.book != nil {
		err = errors.Join(err, r.book.close())
		r.book = nil
	}
	return err
}
