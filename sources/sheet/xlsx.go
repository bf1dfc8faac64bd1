package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// xlsxBook is an open .xlsx workbook. excelize reads the workbook part
// (sheets, visibility, date system) and the styles; the worksheet and the
// shared strings are streamed from the zip here, because excelize's
// streaming Rows() hands back strings only and so cannot tell a date from a
// number, an error cell from the text "#N/A", or TRUE from 1.
type xlsxBook struct {
	file     string
	zr       *zip.ReadCloser
	sheets   []sheetEntry
	parts    map[string]string // sheet name → zip part
	styles   []dateStyle       // by cell style index (the s attribute)
	date1904 bool
	sstPart  string
	sst      []string
	sstRead  bool
}

type sheetEntry struct {
	name   string
	hidden bool
}

func openXLSX(file string) (*xlsxBook, error) {
	if err := checkZipDirectory(file); err != nil {
		return nil, err
	}
	zr, err := zip.OpenReader(file)
	if errors.Is(err, zip.ErrFormat) {
		return nil, fmt.Errorf("the file is damaged or truncated: %w", err)
	}
	if err != nil {
		return nil, err
	}
	meta, err := checkParts(&zr.Reader)
	if err != nil {
		zr.Close()
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(meta), excelize.Options{RawCellValue: true})
	if errors.Is(err, zip.ErrFormat) {
		err = fmt.Errorf("the file is damaged or truncated: %w", err)
	}
	if err != nil {
		zr.Close()
		return nil, err
	}
	defer f.Close()
	b := &xlsxBook{file: file, zr: zr, parts: map[string]string{}}
	if err := b.readMeta(f); err != nil {
		zr.Close()
		return nil, err
	}
	return b, nil
}

// workbookRels is the part of xl/_rels/workbook.xml.rels we need.
type workbookRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

func (b *xlsxBook) readMeta(f *excelize.File) error {
	if f.WorkBook == nil {
		return errors.New("no workbook part")
	}
	if f.WorkBook.WorkbookPr != nil {
		b.date1904 = f.WorkBook.WorkbookPr.Date1904
	}
	var rels workbookRels
	if err := b.decodePart("xl/_rels/workbook.xml.rels", &rels); err != nil {
		return err
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		target := r.Target
		if strings.HasPrefix(target, "/") {
			target = strings.TrimPrefix(target, "/")
		} else {
			target = path.Join("xl", target)
		}
		targets[r.ID] = target
		if strings.HasSuffix(r.Type, "/sharedStrings") {
			b.sstPart = target
		}
	}
	for _, s := range f.WorkBook.Sheets.Sheet {
		part, ok := targets[s.ID]
		if !ok {
			continue // a chart sheet or a broken link: nothing to read
		}
		b.sheets = append(b.sheets, sheetEntry{name: s.Name, hidden: s.State == "hidden" || s.State == "veryHidden"})
		b.parts[s.Name] = part
	}
	custom := map[int]string{}
	if f.Styles != nil && f.Styles.NumFmts != nil {
		for _, nf := range f.Styles.NumFmts.NumFmt {
			custom[nf.NumFmtID] = nf.FormatCode
		}
	}
	if f.Styles != nil && f.Styles.CellXfs != nil {
		for _, xf := range f.Styles.CellXfs.Xf {
			id := 0
			if xf.NumFmtID != nil {
				id = *xf.NumFmtID
			}
			style := builtinDateStyle(id)
			if code, ok := custom[id]; ok {
				style = formatDateStyle(code)
			}
			b.styles = append(b.styles, style)
		}
	}
	return nil
}

func (b *xlsxBook) openPart(name string) (io.ReadCloser, error) {
	for _, zf := range b.zr.File {
		if strings.EqualFold(zf.Name, name) {
			rc, err := zf.Open()
			if err != nil {
				return nil, err
			}
			return struct {
				io.Reader
				io.Closer
			}{&runLimiter{src: rc, part: zf.Name}, rc}, nil
		}
	}
	return nil, fmt.Errorf("part %s is missing", name)
}

func (b *xlsxBook) decodePart(name string, v any) error {
	rc, err := b.openPart(name)
	if err != nil {
		return err
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return fmt.Errorf("part %s: %w", name, err)
	}
	return nil
}

// sharedStrings reads the shared string table once, on first use. A string
// item is the concatenation of its <t> texts, phonetic runs left out.
func (b *xlsxBook) sharedStrings() ([]string, error) {
	if b.sstRead || b.sstPart == "" {
		return b.sst, nil
	}
	b.sstRead = true
	rc, err := b.openPart(b.sstPart)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := xml.NewDecoder(rc)
	var cur []byte
	inT, inPhonetic := false, false
	held := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return b.sst, nil
		}
		if err != nil {
			return nil, fmt.Errorf("shared strings: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				cur = cur[:0]
			case "t":
				inT = !inPhonetic
			case "rPh":
				inPhonetic = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if held += len(cur) + 16; held > maxSharedBytes {
					return nil, limitf("the shared-string table holds more than %s, over the limit", mib(maxSharedBytes))
				}
				b.sst = append(b.sst, string(cur))
			case "t":
				inT = false
			case "rPh":
				inPhonetic = false
			}
		case xml.CharData:
			if inT {
				if len(cur)+len(t) > maxCellBytes {
					return nil, limitf("shared string %d is longer than %s, over the limit for one cell", len(b.sst)+1, mib(maxCellBytes))
				}
				cur = append(cur, t...)
			}
		}
	}
}

func (b *xlsxBook) sheetList() []sheetEntry { return b.sheets }

func (b *xlsxBook) openSheet(name string) (rowSource, error) {
	part, ok := b.parts[name]
	if !ok {
		return nil, fmt.Errorf("sheet %q has no worksheet part", name)
	}
	sst, err := b.sharedStrings()
	if err != nil {
		return nil, err
	}
	rc, err := b.openPart(part)
	if err != nil {
		return nil, err
	}
	return &xlsxRows{book: b, sst: sst, rc: rc, dec: xml.NewDecoder(rc), sheet: name}, nil
}

func (b *xlsxBook) close() error { return b.zr.Close() }

// xlsxRows streams one worksheet's <sheetData> row by row.
type xlsxRows struct {
	book  *xlsxBook
	sst   []string
	rc    io.ReadCloser
	dec   *xml.Decoder
	sheet string
	row   int // last row number seen
	rows  int // rows read
	cells []cell
	done  bool
}

// xlsxCell collects one <c> element while it is being read.
type xlsxCell struct {
	col   int
	style int
	typ   string
	value []byte
	hasV  bool
}

func (x *xlsxRows) next() (int, []cell, error) {
	if x.done {
		return 0, nil, io.EOF
	}
	var (
		c        xlsxCell
		inRow    bool
		collect  bool // inside <v>, or <t> of an inline string
		inPhon   bool
		col      int
		rowCells = x.cells[:0]
	)
	for {
		tok, err := x.dec.RawToken()
		if err == io.EOF {
			x.done = true
			if inRow {
				return 0, nil, fmt.Errorf("sheet %s: file ends inside row %d", x.sheet, x.row)
			}
			return 0, nil, io.EOF
		}
		if err != nil {
			return 0, nil, fmt.Errorf("sheet %s near row %d: %w", x.sheet, x.row, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "row":
				inRow = true
				col = 0
				x.row++
				if x.rows++; x.rows > maxXLSXRows {
					return 0, nil, limitf("sheet %s holds more than %d rows, the limit of the format", x.sheet, maxXLSXRows)
				}
				if r := attr(t, "r"); r != "" {
					n, err := strconv.Atoi(r)
					if err != nil || n < 1 {
						return 0, nil, fmt.Errorf("sheet %s: bad row number %q", x.sheet, r)
					}
					x.row = n
				}
				if x.row > maxXLSXRows {
					return 0, nil, limitf("sheet %s: row %d is past row %d, the last the format has", x.sheet, x.row, maxXLSXRows)
				}
			case "c":
				col++
				c = xlsxCell{col: col, typ: attr(t, "t")}
				if ref := attr(t, "r"); ref != "" {
					n, _, err := excelize.CellNameToCoordinates(ref)
					if err != nil {
						return 0, nil, fmt.Errorf("sheet %s row %d: bad cell reference %q", x.sheet, x.row, ref)
					}
					c.col, col = n, n
				}
				if col > maxXLSXColumns {
					return 0, nil, limitf("sheet %s row %d: more than %d cells, the limit of the format", x.sheet, x.row, maxXLSXColumns)
				}
				if s := attr(t, "s"); s != "" {
					c.style, _ = strconv.Atoi(s)
				}
			case "v":
				collect, c.hasV = true, true
			case "t":
				collect = !inPhon
			case "rPh":
				inPhon = true
			}
		case xml.CharData:
			if collect {
				if len(c.value)+len(t) > maxCellBytes {
					return 0, nil, limitf("sheet %s cell %s is longer than %s, over the limit for one cell", x.sheet, cellRef(c.col, x.row), mib(maxCellBytes))
				}
				c.value = append(c.value, t...)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v", "t":
				collect = false
			case "rPh":
				inPhon = false
			case "c":
				v, err := x.convert(&c)
				if err != nil {
					return 0, nil, err
				}
				if v.kind != cellEmpty {
					for len(rowCells) < c.col-1 {
						rowCells = append(rowCells, cell{})
					}
					rowCells = append(rowCells, v)
				}
			case "row":
				x.cells = rowCells
				return x.row, rowCells, nil
			case "worksheet":
				x.done = true
				return 0, nil, io.EOF
			}
		}
	}
}

func (x *xlsxRows) convert(c *xlsxCell) (cell, error) {
	v := string(c.value)
	switch c.typ {
	case "s":
		if !c.hasV {
			return cell{}, nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || i < 0 || i >= len(x.sst) {
			return cell{}, fmt.Errorf("sheet %s cell %s: shared string %q does not exist", x.sheet, cellRef(c.col, x.row), v)
		}
		return textCell(x.sst[i]), nil
	case "str", "inlineStr":
		return textCell(v), nil
	case "b":
		return boolCell(strings.TrimSpace(v) == "1" || strings.EqualFold(v, "true")), nil
	case "e":
		return cell{kind: cellError, text: strings.TrimSpace(v)}, nil
	case "d":
		t, err := time.Parse("2006-01-02T15:04:05.999999999", strings.TrimSuffix(strings.TrimSpace(v), "Z"))
		if err != nil {
			return textCell(v), nil
		}
		t = t.Round(time.Second)
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
			return cell{kind: cellNumber, text: t.Format(layoutDate)}, nil
		}
		return cell{kind: cellNumber, text: t.Format(layoutDateTime)}, nil
	}
	if strings.TrimSpace(v) == "" {
		return cell{}, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return cell{}, fmt.Errorf("sheet %s cell %s: number %q: %w", x.sheet, cellRef(c.col, x.row), v, err)
	}
	style := notDate
	if c.style >= 0 && c.style < len(x.book.styles) {
		style = x.book.styles[c.style]
	}
	return numberCell(f, style, x.book.date1904), nil
}

func (x *xlsxRows) close() error { return x.rc.Close() }

func textCell(s string) cell {
	if s == "" {
		return cell{}
	}
	return cell{kind: cellText, text: s}
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}
