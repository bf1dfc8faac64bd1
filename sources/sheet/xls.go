package sheet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
	"github.com/shakinm/xlsReader/xls"
	"github.com/shakinm/xlsReader/xls/record"
)

// errPasswordProtected is returned for encrypted workbooks of either kind.
var errPasswordProtected = errors.New("the workbook is password-protected: save a copy without a password")

// BIFF8 record numbers read here; xlsReader reads the cells but skips
// formulas (their cached values), the date system and encryption.
const (
	recFormula  = 0x0006
	recEOF      = 0x000A
	recDateMode = 0x0022
	recFilePass = 0x002F
	recContinue = 0x003C
	recSheet    = 0x0085
	recString   = 0x0207
	recBOF      = 0x0809
)

// xlsBook is an open .xls (BIFF8) workbook. The library holds the whole
// workbook in memory; a .xls sheet has at most 65,536 rows.
type xlsBook struct {
	file     string
	stream   []byte // the Workbook stream
	wb       xls.Workbook
	sheets   []sheetEntry
	offsets  []int // stream position of each sheet's BOF, by sheet index
	date1904 bool
	styles   map[int]dateStyle // by XF index
	codePage codePage          // for 8-bit strings: xlscodepage.go
}

// openXLS reads the compound file with mscfb (which notices broken sector
// chains), checks the global records itself, then lets xlsReader read the
// cells.
func openXLS(file string) (*xlsBook, error) {
	if info, err := os.Stat(file); err == nil && info.Size() > maxXLSFileBytes {
		return nil, limitf("the file is %s, over the limit of %s for an .xls (read whole into memory): save it as .xlsx", mib(uint64(info.Size())), mib(maxXLSFileBytes))
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if err := checkCompoundFile(data); err != nil {
		return nil, err
	}
	doc, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("the file is damaged or truncated (OLE2 container: %w)", err)
	}
	var stream []byte
	for entry, err := doc.Next(); err == nil; entry, err = doc.Next() {
		switch entry.Name {
		case "EncryptedPackage":
			return nil, errPasswordProtected
		case "Workbook", "Book":
			if entry.Size < 0 || entry.Size > int64(len(data)) {
				return nil, fmt.Errorf("the file is damaged (its %s stream claims %d bytes in a file of %d)", entry.Name, entry.Size, len(data))
			}
			if stream == nil || entry.Name == "Workbook" {
				stream = make([]byte, entry.Size)
				if _, err := io.ReadFull(entry, stream); err != nil {
					return nil, fmt.Errorf("workbook stream: %w", err)
				}
			}
		}
	}
	if stream == nil {
		return nil, errors.New("an OLE2 file without a Workbook stream: not an Excel workbook")
	}
	b := &xlsBook{file: file, stream: stream, styles: map[int]dateStyle{}}
	if err := b.readGlobals(); err != nil {
		return nil, err
	}
	wb, err := xls.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if wb.GetNumberSheets() != len(b.offsets) {
		return nil, fmt.Errorf("the workbook lists %d sheets but only %d could be read", len(b.offsets), wb.GetNumberSheets())
	}
	b.wb = wb
	for i := range b.sheets {
		s, err := wb.GetSheet(i)
		if err != nil {
			return nil, err
		}
		b.sheets[i].name = s.GetName()
	}
	return b, nil
}

// records walks BIFF records from pos until EOF, calling fn for each one.
func (b *xlsBook) records(pos int, fn func(pos int, id uint16, body []byte) error) error {
	for {
		if pos+4 > len(b.stream) {
			return errors.New("the workbook stream is cut short (truncated file?)")
		}
		id := binary.LittleEndian.Uint16(b.stream[pos:])
		size := int(binary.LittleEndian.Uint16(b.stream[pos+2:]))
		if pos+4+size > len(b.stream) {
			return errors.New("the workbook stream is cut short (truncated file?)")
		}
		if err := fn(pos, id, b.stream[pos+4:pos+4+size]); err != nil {
			return err
		}
		if id == recEOF {
			return nil
		}
		pos += 4 + size
	}
}

func (b *xlsBook) readGlobals() error {
	if len(b.stream) < 8 || binary.LittleEndian.Uint16(b.stream) != recBOF {
		return errors.New("the workbook stream does not start with a BOF record")
	}
	switch v := binary.LittleEndian.Uint16(b.stream[4:]); v {
	case 0x0600:
	case 0x0500:
		return errors.New("an Excel 5.0/95 workbook (BIFF5) is not supported: save it as Excel 97-2003 (.xls) or .xlsx")
	default:
		return fmt.Errorf("BIFF version %#04x is not supported: save it as Excel 97-2003 (.xls) or .xlsx", v)
	}
	return b.records(0, func(_ int, id uint16, body []byte) error {
		switch id {
		case recFilePass:
			return errPasswordProtected
		case recDateMode:
			b.date1904 = len(body) >= 2 && body[0] == 1
		case recSheet:
			if len(body) < 6 {
				return errors.New("a bad BOUNDSHEET record")
			}
			pos := int(binary.LittleEndian.Uint32(body))
			if pos >= len(b.stream) {
				return errors.New("a sheet starts past the end of the workbook stream (truncated file?)")
			}
			b.offsets = append(b.offsets, pos)
			b.sheets = append(b.sheets, sheetEntry{hidden: body[4]&0x03 != 0 || body[5] != 0})
		}
		return nil
	})
}

func (b *xlsBook) sheetList() []sheetEntry { return b.sheets }

func (b *xlsBook) close() error { return nil }

// dateStyle gives the date style of an XF (cell format) index.
func (b *xlsBook) dateStyle(xf int) (style dateStyle) {
	if s, ok := b.styles[xf]; ok {
		return s
	}
	defer func() {
		if recover() != nil { // xlsReader indexes its XF table without checks
			style = notDate
		}
		b.styles[xf] = style
	}()
	xfRec := b.wb.GetXFbyIndex(xf)
	ifmt := xfRec.GetFormatIndex()
	if f := b.wb.GetFormatByIndex(ifmt); f.GetIndex() == ifmt && ifmt != 0 {
		if code := f.String(); code != "" {
			return formatDateStyle(code)
		}
	}
	return builtinDateStyle(ifmt)
}

func (b *xlsBook) openSheet(name string) (rowSource, error) {
	idx := -1
	for i, s := range b.sheets {
		if s.name == name {
			idx = i
		}
	}
	if idx < 0 {
		return nil, fmt.Errorf("no sheet %q", name)
	}
	s, err := b.wb.GetSheet(idx)
	if err != nil {
		return nil, err
	}
	formulas, maxRow, err := b.formulaValues(idx, name)
	if err != nil {
		return nil, err
	}
	n := s.GetNumberRows() // once: it walks every row each time
	if maxRow+1 > n {
		n = maxRow + 1
	}
	return &xlsRows{book: b, sheet: s, name: name, rows: n, formulas: formulas}, nil
}

type cellPos struct{ row, col int }

// formulaValues reads the cached results of the sheet's formula cells,
// which xlsReader leaves out, by row and column (0-based).
func (b *xlsBook) formulaValues(idx int, name string) (map[int]map[int]cell, int, error) {
	out := map[int]map[int]cell{}
	maxRow := -1
	set := func(p cellPos, c cell) {
		if out[p.row] == nil {
			out[p.row] = map[int]cell{}
		}
		out[p.row][p.col] = c
	}
	var (
		pending     *cellPos // a string result comes in the next STRING record
		pendingText []uint16
		pendingWant int
	)
	err := b.records(b.offsets[idx], func(pos int, id uint16, body []byte) error {
		switch id {
		case recFormula:
			pending = nil
			if len(body) < 14 {
				return fmt.Errorf("sheet %s: a bad FORMULA record", name)
			}
			p := cellPos{int(binary.LittleEndian.Uint16(body)), int(binary.LittleEndian.Uint16(body[2:]))}
			maxRow = max(maxRow, p.row)
			xf := int(binary.LittleEndian.Uint16(body[4:]))
			res := body[6:14]
			if res[6] != 0xFF || res[7] != 0xFF {
				v := math.Float64frombits(binary.LittleEndian.Uint64(res))
				set(p, numberCell(v, b.dateStyle(xf), b.date1904))
				return nil
			}
			switch res[0] {
			case 0:
				pending = &p
			case 1:
				set(p, boolCell(res[2] != 0))
			case 2:
				set(p, cell{kind: cellError, text: biffError(res[2])})
			}
		case recString, recContinue:
			if pending == nil {
				return nil
			}
			if id == recString {
				if len(body) < 3 {
					return nil
				}
				pendingWant = int(binary.LittleEndian.Uint16(body))
				pendingText = decodeBIFFChars(body[3:], pendingWant, body[2]&1 == 1)
			} else if len(body) > 0 {
				// A long string goes on in CONTINUE records, each with its
				// own character-width flag.
				pendingText = append(pendingText, decodeBIFFChars(body[1:], pendingWant-len(pendingText), body[0]&1 == 1)...)
			}
			set(*pending, textCell(string(utf16.Decode(pendingText))))
			if len(pendingText) >= pendingWant {
				pending = nil
			}
		default:
			pending = nil
		}
		return nil
	})
	return out, maxRow, err
}

// decodeBIFFChars reads up to n characters, one byte each (Latin-1) or two
// (UTF-16LE).
func decodeBIFFChars(b []byte, n int, wide bool) []uint16 {
	var out []uint16
	if wide {
		for i := 0; i+1 < len(b) && len(out) < n; i += 2 {
			out = append(out, binary.LittleEndian.Uint16(b[i:]))
		}
		return out
	}
	for i := 0; i < len(b) && len(out) < n; i++ {
		out = append(out, uint16(b[i]))
	}
	return out
}

func biffError(code byte) string {
	switch code {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	case 0x2B:
		return "#GETTING_DATA"
	}
	return fmt.Sprintf("#ERROR(%#02x)", code)
}

// cellData is what xlsReader hands back for a cell.
type cellData interface {
	GetString() string
	GetFloat64() float64
	GetXFIndex() int
}

type xlsRows struct {
	book     *xlsBook
	sheet    *xls.Sheet
	name     string
	rows     int
	i        int
	formulas map[int]map[int]cell // row → column → cached formula result
	cells    []cell
}

func (x *xlsRows) next() (int, []cell, error) {
	for x.i < x.rows {
		r := x.i
		x.i++
		row, err := x.sheet.GetRow(r)
		if err != nil {
			return 0, nil, fmt.Errorf("sheet %s row %d: %w", x.name, r+1, err)
		}
		cells := x.cells[:0]
		for _, data := range row.GetCols() {
			cells = append(cells, x.convert(data))
		}
		for c, f := range x.formulas[r] {
			for len(cells) <= c {
				cells = append(cells, cell{})
			}
			cells[c] = f
		}
		x.cells = cells
		return r + 1, cells, nil
	}
	return 0, nil, io.EOF
}

func (x *xlsRows) convert(data cellData) cell {
	switch d := data.(type) {
	case *record.LabelSSt, *record.LabelBIFF8, *record.LabelBIFF5:
		return textCell(x.book.text(d.GetString()))
	case *record.Number, *record.Rk:
		return numberCell(d.GetFloat64(), x.book.dateStyle(d.GetXFIndex()), x.book.date1904)
	case *record.BoolErr:
		switch s := d.GetString(); s {
		case "TRUE":
			return boolCell(true)
		case "FALSE":
			return boolCell(false)
		case "#NUM!!": // xlsReader's spelling
			return cell{kind: cellError, text: "#NUM!"}
		default:
			return cell{kind: cellError, text: s}
		}
	}
	return cell{}
}

func (x *xlsRows) close() error { return nil }
