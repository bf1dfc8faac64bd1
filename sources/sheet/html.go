package sheet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// htmlBook is an HTML page saved under an .xls name (Hikvision, web
// exports): each top-level <table> is a sheet, each <tr> a row, each
// <td>/<th> a cell. A cell holding only "-" is a missing value, as those
// exports write one. The page is read once with a tokenizer, keeping only
// the cells' text: a parsed tree would take twenty times the file's size
// (a 15 MB export peaked at 322 MB), the cells about its size.
type htmlBook struct {
	sheets []sheetEntry
	tables [][][]cell
}

// isHTML reports content that is an HTML page or table.
func isHTML(head []byte) bool {
	lower := bytes.ToLower(head)
	return bytes.Contains(lower, []byte("<html")) || bytes.Contains(lower, []byte("<table"))
}

func openHTML(file string) (*htmlBook, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Size() > maxHTMLFileBytes {
		return nil, limitf("the file is %s, over the limit of %s for an HTML table: save it as .xlsx or .csv", mib(uint64(info.Size())), mib(maxHTMLFileBytes))
	}
	// The page's own charset (meta tag or BOM), else windows-1252 as
	// browsers do; UTF-8 pages say so or are detected.
	r, err := charset.NewReader(bufio.NewReaderSize(f, 64<<10), "text/html")
	if err != nil {
		return nil, fmt.Errorf("HTML page: %w", err)
	}
	z := html.NewTokenizer(r)
	z.SetMaxBuf(maxXMLTextRun)
	b := &htmlBook{}
	var t htmlTable
	for {
		switch z.Next() {
		case html.ErrorToken:
			if err := z.Err(); err != io.EOF {
				if errors.Is(err, html.ErrBufferExceeded) {
					return nil, limitf("an HTML token longer than %s", mib(maxXMLTextRun))
				}
				return nil, fmt.Errorf("HTML page: %w", err)
			}
			if t.depth > 0 { // a table the page never closed
				b.add(t.end())
			}
			if len(b.tables) == 0 {
				return nil, errors.New("an HTML page without a <table>")
			}
			return b, nil
		case html.TextToken:
			if err := t.addText(z.Text()); err != nil {
				return nil, err
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			span := 1
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				if string(k) == "colspan" {
					if n, err := strconv.Atoi(string(v)); err == nil && n > 1 && n < 256 {
						span = n
					}
				}
			}
			t.start(string(name), span)
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == "table" && t.depth == 1 {
				b.add(t.end())
				continue
			}
			t.stop(string(name))
		}
	}
}

func (b *htmlBook) add(rows [][]cell) {
	b.tables = append(b.tables, rows)
	b.sheets = append(b.sheets, sheetEntry{name: fmt.Sprintf("Table%d", len(b.tables))})
}

// htmlTable collects the rows of one top-level table as its tokens pass.
// A table inside a cell adds its text to that cell, not rows of its own.
type htmlTable struct {
	depth  int // of <table> elements
	rows   [][]cell
	row    []cell
	inRow  bool
	inCell bool
	span   int
	text   strings.Builder
}

func (t *htmlTable) start(tag string, span int) {
	switch {
	case tag == "table":
		t.depth++
	case t.depth != 1:
		if tag == "br" && t.inCell {
			t.text.WriteByte(' ')
		}
	case tag == "tr":
		t.endRow()
		t.inRow = true
	case tag == "td" || tag == "th":
		t.endCell()
		t.inRow, t.inCell, t.span = true, true, span
	case tag == "br" && t.inCell:
		t.text.WriteByte(' ')
	}
}

func (t *htmlTable) stop(tag string) {
	switch {
	case tag == "table":
		if t.depth > 0 {
			t.depth--
		}
	case t.depth != 1:
	case tag == "tr":
		t.endRow()
	case tag == "td" || tag == "th":
		t.endCell()
	}
}

func (t *htmlTable) addText(s []byte) error {
	if !t.inCell {
		return nil
	}
	if t.text.Len()+len(s) > maxCellBytes {
		return limitf("an HTML table cell longer than %s", mib(maxCellBytes))
	}
	t.text.Write(s)
	return nil
}

// endCell adds the open cell: <br> as a space, white space folded, "-"
// and "&nbsp;" alone as missing; a colspan adds empty cells after it.
func (t *htmlTable) endCell() {
	if !t.inCell {
		return
	}
	s := strings.Join(strings.Fields(strings.ReplaceAll(t.text.String(), "\u00a0", " ")), " ")
	t.text.Reset()
	c := textCell(s)
	if s == "-" || s == "--" {
		c = cell{}
	}
	t.row = append(t.row, c)
	for ; t.span > 1; t.span-- {
		t.row = append(t.row, cell{})
	}
	t.inCell = false
}

func (t *htmlTable) endRow() {
	t.endCell()
	if t.inRow {
		t.rows = append(t.rows, t.row)
	}
	t.row, t.inRow = nil, false
}

// end closes the table and hands its rows over, leaving t ready for the next.
func (t *htmlTable) end() [][]cell {
	t.endRow()
	rows := t.rows
	*t = htmlTable{}
	return rows
}

func (b *htmlBook) sheetList() []sheetEntry { return b.sheets }

func (b *htmlBook) openSheet(name string) (rowSource, error) {
	for i, s := range b.sheets {
		if s.name == name {
			return &htmlRows{rows: b.tables[i]}, nil
		}
	}
	return nil, fmt.Errorf("no table %s", name)
}

func (b *htmlBook) close() error { return nil }

type htmlRows struct {
	rows [][]cell
	i    int
}

func (h *htmlRows) next() (int, []cell, error) {
	if h.i >= len(h.rows) {
		return 0, nil, io.EOF
	}
	h.i++
	return h.i, h.rows[h.i-1], nil
}

func (h *htmlRows) close() error { return nil }
