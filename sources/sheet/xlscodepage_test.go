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
