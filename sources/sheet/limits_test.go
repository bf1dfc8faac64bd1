package sheet

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readWhole opens a workbook and reads every row; it must end with an
// error or io.EOF, never a panic or an allocation past the limits.
func readWhole(path string) (int, error) {
	r, err := Open(path, "s", Options{})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		n++
	}
}

// TestFlippedHeaderBytes flips every byte of the compound-file header and
// of the rest of an .xls (its directory and BIFF records), one at a time: each read ends
// (rows or an error) within the memory the run has. A flipped byte here
// once made the reader allocate 27 GB.
func TestFlippedHeaderBytes(t *testing.T) {
	orig, err := os.ReadFile("testdata/workbook.xls")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	step := func(at int) int { // every byte of the header and the directory, then every 7th
		if at < 2048 {
			return 1
		}
		return 7
	}
	end := len(orig)
	if testing.Short() {
		end = 512
	}
	for at := 0; at < end; at += step(at) {
		for _, x := range []byte{0xFF, 0x01} {
			data := append([]byte(nil), orig...)
			data[at] ^= x
			p := filepath.Join(dir, "flipped.xls")
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			readWhole(p)
		}
	}
}

// TestWorkbookPartNotNamedWorkbookXML: excelize is handed the workbook part
// _rels/.rels names, whatever it is called.
func TestWorkbookPartNotNamedWorkbookXML(t *testing.T) {
	zr, err := zip.OpenReader("testdata/export.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	p := filepath.Join(t.TempDir(), "renamed.xlsx")
	out, _ := os.Create(p)
	w := zip.NewWriter(out)
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		name := strings.NewReplacer("xl/workbook.xml.rels", "xl/book.xml.rels", "xl/workbook.xml", "xl/book.xml").Replace(zf.Name)
		if zf.Name == "_rels/.rels" || zf.Name == "[Content_Types].xml" {
			b = []byte(strings.ReplaceAll(string(b), "xl/workbook.xml", "xl/book.xml"))
		}
		f, _ := w.Create(name)
		f.Write(b)
	}
	w.Close()
	out.Close()
	if n, err := readWhole(p); err != nil || n == 0 {
		t.Fatalf("%d rows, %v", n, err)
	}
}
