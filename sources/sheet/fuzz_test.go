package sheet

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fuzzHang is how long one input may take before it counts as a hang.
const fuzzHang = 20 * time.Second

// fuzzWorkbook writes data as a workbook and reads it whole: it must end
// in rows or an error, never a panic, a hang or an allocation past the limits.
func fuzzWorkbook(f *testing.F, name string, seeds ...string) {
	for _, s := range seeds {
		if b, err := os.ReadFile(filepath.Join("testdata", s)); err == nil {
			f.Add(b)
		}
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { readWhole(p); close(done) }()
		select {
		case <-done:
		case <-time.After(fuzzHang):
			os.WriteFile(filepath.Join(os.TempDir(), "hrsync-fuzz-hang-"+name), data, 0o600)
			panic(fmt.Sprintf("reading a %d-byte %s took over %s", len(data), name, fuzzHang))
		}
	})
}

// FuzzXLSX fuzzes the .xlsx path: the zip directory checks, excelize on
// the workbook parts, the streamed worksheet and shared strings.
func FuzzXLSX(f *testing.F) {
	fuzzWorkbook(f, "fuzz.xlsx", "workbook.xlsx", "export.xlsx", "date1904.xlsx", "truncated.xlsx")
}

// FuzzXLS fuzzes the .xls path: the compound-file checks, mscfb, the BIFF
// record scan and xlsReader.
func FuzzXLS(f *testing.F) {
	fuzzWorkbook(f, "fuzz.xls", "workbook.xls", "export.xls", "date1904.xls", "truncated.xls")
}

// FuzzCompoundFile fuzzes the header, FAT and mini FAT checks alone, which
// see every byte before the readers do.
func FuzzCompoundFile(f *testing.F) {
	for _, s := range []string{"workbook.xls", "export.xls"} {
		if b, err := os.ReadFile(filepath.Join("testdata", s)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkCompoundFile(data) })
}

// FuzzHTML fuzzes the HTML table saved as .xls: the sniff that sends a
// file there, the charset detection and the table walk.
func FuzzHTML(f *testing.F) {
	f.Add([]byte(`<html><table><tr><th>ID</th><th>Time</th></tr><tr><td>1</td><td>2024-01-02 08:00</td></tr></table></html>`))
	f.Add([]byte(`<table><tr><td>-</td><td><table><tr><td>x</td></tr></table></td></tr></table>`))
	fuzzWorkbook(f, "fuzz-html.xls")
}
