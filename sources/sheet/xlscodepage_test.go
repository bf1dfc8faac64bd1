package sheet

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fieldsOf returns every row's fields of a workbook's first sheet.
func fieldsOf(t *testing.T, path string) [][]string {
	t.Helper()
	r, err := Open(path, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rows [][]string
	for {
		row, err := r.Next()
		if err != nil {
			break
		}
		rows = append(rows, append([]string(nil), row.Fields...))
	}
	return rows
}

// TestXLSEightBitStrings: a byte above 0x7F in an 8-bit string is decoded
// with the workbook's CODEPAGE (Latin-1 for Excel's 1200), not passed on
// as invalid UTF-8. The fixture is export.xls with one byte changed in its
// shared strings, and for the second case its CODEPAGE set to 1251.
func TestXLSEightBitStrings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "export.xls"))
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("Eva Novak"))
	cp := bytes.Index(data, []byte{0x42, 0x00, 0x02, 0x00, 0xB0, 0x04})
	if i < 0 || cp < 0 {
		t.Fatal("fixture changed: no \"Eva Novak\" or CODEPAGE 1200")
	}
	for _, tc := range []struct {
		codePage [2]byte
		want     string
	}{{[2]byte{0xB0, 0x04}, "Eva Novñk"}, {[2]byte{0xE3, 0x04}, "Eva Novсk"}} {
		patched := append([]byte(nil), data...)
		patched[i+7] = 0xF1
		patched[cp+4], patched[cp+5] = tc.codePage[0], tc.codePage[1]
		path := filepath.Join(t.TempDir(), "export.xls")
		if err := os.WriteFile(path, patched, 0o644); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range fieldsOf(t, path) {
			for _, f := range row {
				found = found || f == tc.want
			}
		}
		if !found {
			t.Errorf("code page %x: no %q in %v", tc.codePage, tc.want, fieldsOf(t, path))
		}
	}
}

// TestHTMLSavedAsXLS: a web export's HTML table under an .xls name reads
// as a table: its header row found, "-" and empty cells missing, the
// page's charset honoured.
func TestHTMLSavedAsXLS(t *testing.T) {
	page := `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>
<h3>Attendance Record</h3>
<table border="1">
<tr><th>Employee ID</th><th>Name</th><th>Time</th><th>Attendance Status</th><th>Device</th></tr>
<tr><td>1001</td><td>Paña&nbsp;Ruiz</td><td>2024-01-02 08:01:02</td><td>Check In</td><td>-</td></tr>
<tr><td>1002</td><td>Lê Chi</td><td>2024-01-02 08:03:00</td><td></td><td>Door 1</td></tr>
</table></body></html>`
	path := filepath.Join(t.TempDir(), "hik.xls")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if d := r.Detected(); d.Format != "html" || strings.Join(d.Columns, "|") != "Employee ID|Name|Time|Attendance Status|Device" {
		t.Fatalf("detected %+v", d)
	}
	rows := fieldsOf(t, path)
	if len(rows) != 2 || rows[0][1] != "Paña Ruiz" || rows[0][4] != "" || rows[1][3] != "" || rows[1][1] != "Lê Chi" {
		t.Fatalf("rows %q", rows)
	}
}

// An HTML page over maxHTMLFileBytes fails naming the limit before it is
// read.
func TestHTMLOverTheLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.xls")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("<html><table><tr><th>ID</th><th>Time</th></tr>\n")
	f.Truncate(maxHTMLFileBytes + 1) // sparse: the size alone refuses it
	f.Close()
	_, err = Open(path, "src", Options{})
	if err == nil || !strings.Contains(err.Error(), "over the limit of 64.0 MiB for an HTML table") {
		t.Fatalf("err = %v", err)
	}
}

// The tokenizer keeps the parsed tree's reading: a table nested in a cell
// adds its text to that cell, colspan adds empty cells, rows without <tr>
// and a table never closed still count, <br> is a space.
func TestHTMLTableShapes(t *testing.T) {
	page := `<table><tr><th>ID</th><th>Date</th><th>Time</th><th>Note</th></tr>
<tr><td>1</td><td colspan="2">2024-01-02</td><td>a<br>b <table><tr><td>x</td></tr></table></td></tr>
<tr><td>2<td>2024-01-03<td>09:00<td>&amp;&nbsp;</tr>
</table><p>between</p><table><td>solo</td>`
	path := filepath.Join(t.TempDir(), "shapes.xls")
	os.WriteFile(path, []byte(page), 0o644)
	r, err := Open(path, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := r.Detected(); strings.Join(d.Sheets, ",") != "Table1,Table2" || strings.Join(d.Columns, "|") != "ID|Date|Time|Note" {
		t.Fatalf("detected %+v", d)
	}
	r.Close()
	rows := fieldsOf(t, path)
	if len(rows) != 2 || strings.Join(rows[0], "|") != "1|2024-01-02||a b x" || strings.Join(rows[1], "|") != "2|2024-01-03|09:00|&" {
		t.Fatalf("rows %q", rows)
	}
}
