package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// htmlBook is an HTML page saved under an .xls name (Hikvision, web
// exports): each <table> is a sheet, each <tr> a row, each <td>/<th> a
// cell. A cell holding only "-" is a missing value, as those exports write
// one. The page is small (an .xls name caps what Excel opens), so it is
// read whole.
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
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	// The page's own charset (meta tag or BOM), else windows-1252 as
	// browsers do; UTF-8 pages say so or are detected.
	r, err := charset.NewReader(bytes.NewReader(data), "text/html")
	if err != nil {
		return nil, fmt.Errorf("HTML page: %w", err)
	}
	doc, err := html.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("HTML page: %w", err)
	}
	b := &htmlBook{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "table" {
			b.tables = append(b.tables, tableRows(n))
			b.sheets = append(b.sheets, sheetEntry{name: fmt.Sprintf("Table%d", len(b.tables))})
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if len(b.tables) == 0 {
		return nil, errors.New("an HTML page without a <table>")
	}
	return b, nil
}

// tableRows collects the rows of one table, not of tables inside it.
func tableRows(t *html.Node) [][]cell {
	var rows [][]cell
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch c.Data {
			case "table":
				continue
			case "tr":
				var row []cell
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type == html.ElementNode && (td.Data == "td" || td.Data == "th") {
						row = append(row, htmlCell(td))
						for span := colspan(td); span > 1; span-- {
							row = append(row, cell{})
						}
					}
				}
				rows = append(rows, row)
			default:
				walk(c)
			}
		}
	}
	walk(t)
	return rows
}

func colspan(n *html.Node) int {
	for _, a := range n.Attr {
		if a.Key == "colspan" {
			var k int
			if _, err := fmt.Sscan(a.Val, &k); err == nil && k > 1 && k < 256 {
				return k
			}
		}
	}
	return 1
}

// htmlCell is a cell's text: <br> as a space, white space folded, "-"
// and "&nbsp;" alone as missing.
func htmlCell(n *html.Node) cell {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				b.WriteString(c.Data)
			case c.Type == html.ElementNode && c.Data == "br":
				b.WriteByte(' ')
			case c.Type == html.ElementNode:
				walk(c)
			}
		}
	}
	walk(n)
	s := strings.Join(strings.Fields(strings.ReplaceAll(b.String(), "\u00a0", " ")), " ")
	if s == "-" || s == "--" {
		return cell{}
	}
	return textCell(s)
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
