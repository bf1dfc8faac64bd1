// Package corpus generates the malformed-input corpus: files that are
// broken, hostile or at a limit, each with the outcome an import must give
// it. They are made at test time (some are hundreds of megabytes) by
// cmd/hrsync's TestCorpus, which runs each through the built binary and
// holds its peak memory under a ceiling.
package corpus

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// Case is one input file.
type Case struct {
	Name   string // file name; the extension picks the reader as a user's would
	Want   string // an outcome the report must hold: "imported", "failed", "invalid_row", ...
	Reason string // text the reason of a Want line holds ("" = any)
	// Mapping replaces the default mapping (employee_key Pin, time Time
	// "2006-01-02 15:04:05") and Format is the source's format block, both YAML.
	Mapping, Format string
	Write           func(w io.Writer) error
}

// Header and rows of the default mapping, for employees 1001 and 1002.
const (
	goodHeader = "Pin,Time\n"
	goodRows   = "1001,2025-12-01 08:00:00\n1002,2025-12-01 08:05:00\n"
)

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// repeat writes head, then part n times, then tail, without holding it whole.
func repeat(head, part string, n int, tail string) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		bw.WriteString(head)
		for range n {
			bw.WriteString(part)
		}
		bw.WriteString(tail)
		return bw.Flush()
	}
}

// Cases is the corpus. xlsBase is a small valid .xls (BIFF8) the damaged
// .xls cases are made from; xlsMapping maps its columns.
func Cases(xlsBase []byte, xlsMapping string) []Case {
	mb := 1 << 20
	cs := []Case{
		{Name: "good.csv", Want: "imported", Write: text(goodHeader + goodRows)},
		{Name: "empty.csv", Want: "failed", Reason: "empty", Write: text("")},
		{Name: "blank-lines.csv", Want: "failed", Reason: "empty", Write: text("\n\n \n\r\n")},
		{Name: "header-only.csv", Want: "failed", Reason: "no rows", Write: text(goodHeader)},
		{Name: "delimiters-only.csv", Want: "invalid_row", Write: text(goodHeader + ",\n,\n,\n")},
		{Name: "utf16-bom-over-utf8.csv", Want: "failed", Write: text("\xff\xfe" + goodHeader + goodRows)},
		{Name: "utf16-bom-declared-utf8.csv", Want: "failed", Format: "{ encoding: utf-8 }", Write: text("\xff\xfe" + goodHeader + goodRows)},
		{Name: "utf16le.csv", Want: "imported", Write: text(utf16le("\ufeff" + goodHeader + goodRows))},
		{Name: "single-line-100MB.csv", Want: "failed", Reason: "max_line_bytes", Write: repeat("", "x", 100*mb, "")},
		{Name: "long-line-in-the-middle.csv", Want: "failed", Reason: "line 3", Write: repeat(goodHeader+"1001,2025-12-01 08:00:00\n1002,", "y", 3*mb, "\n1001,2025-12-01 09:00:00\n")},
		{Name: "unterminated-quote.csv", Want: "invalid_row", Write: text(goodHeader + "1001,\"2025-12-01 08:00:00\n" + goodRows)},
		{Name: "unterminated-quote-then-50MB.csv", Want: "failed", Reason: "max_line_bytes", Write: repeat(goodHeader+"1001,\"2025-12-01 08:00:00\n", "1002,2025-12-01 08:05:00\n", 2*mb, "")},
		{Name: "bare-quote.csv", Want: "invalid_row", Write: text(goodHeader + "10\"01,2025-12-01 08:00:00\n" + goodRows)},
		{Name: "nul-in-key.csv", Want: "invalid_row", Write: text(goodHeader + "10\x0001,2025-12-01 08:00:00\n" + goodRows)},
		{Name: "escape-in-key.csv", Want: "unmapped", Write: text(goodHeader + "\x1b[2J1001,2025-12-01 08:00:00\n" + goodRows)},
		{Name: "random-bytes.csv", Want: "failed", Write: randomBytes(1, mb)},
		{Name: "ragged.csv", Want: "invalid_row", Write: text(goodHeader + "1001,2025-12-01 08:00:00,extra\n1002\n" + goodRows)},
		{Name: "100k-fields.csv", Want: "invalid_row", Write: repeat(goodHeader+"1001,2025-12-01 08:00:00", ",z", 100_000, "\n"+goodRows)},
		{Name: "quoted-field-900KB.csv", Want: "imported", Write: repeat("Pin,Time,Note\n1001,2025-12-01 08:00:00,\"", "ab\n", 300_000, "\"\n")},
		{Name: "bad-times.csv", Want: "invalid_time", Write: text(goodHeader + "1001,2025-13-45 08:00:00\n1002,2025-12-01 25:61:00\n")},
		{Name: "crlf-and-lf.csv", Want: "imported", Write: text("Pin,Time\r\n1001,2025-12-01 08:00:00\r\n1002,2025-12-01 08:05:00\n")},
		{Name: "binary-with-csv-name.csv", Want: "failed", Write: text("\x00\x01\x02\x03PK\x05\x06garbage\x00\xff")},
		{Name: "dst-gap.csv", Want: "invalid_time", Reason: "does not exist in Europe/Paris", Write: text(goodHeader + "1001,2025-03-30 02:30:00\n")},
		{Name: "dst-overlap.csv", Want: "imported", Write: text(goodHeader + "1001,2025-10-26 02:30:00\n")},

		{Name: "good.xlsx", Want: "imported", Write: xlsx(sheetRows(2, false), nil, flate.DefaultCompression)},
		{Name: "xlsx-header-only.xlsx", Want: "failed", Reason: "no rows", Write: xlsx(sheetRows(0, false), nil, flate.DefaultCompression)},
		{Name: "xlsx-1GiB-of-spaces.xlsx", Want: "failed", Reason: "inflates", Write: xlsx(padded(1<<30), nil, flate.BestCompression)},
		{Name: "xlsx-1GiB-shared-string.xlsx", Want: "failed", Reason: "inflates", Write: xlsx(sheetRows(2, true), hugeString(1<<30), flate.BestCompression)},
		{Name: "xlsx-2MB-shared-string.xlsx", Want: "failed", Reason: "shared string", Write: xlsx(sheetRows(2, true), randomString(2*mb), flate.DefaultCompression)},
		{Name: "xlsx-shared-strings-over-48MB.xlsx", Want: "failed", Reason: "shared-string table", Write: xlsx(sheetRows(2, true), manyStrings(6_000_000), flate.DefaultCompression)},
		{Name: "xlsx-2MB-cell.xlsx", Want: "failed", Reason: "longer than", Write: xlsx(bigCell(2*mb), nil, flate.DefaultCompression)},
		{Name: "xlsx-row-past-limit.xlsx", Want: "failed", Reason: "1048576", Write: xlsx(rawSheet(`<row r="1"><c t="inlineStr"><is><t>Pin</t></is></c><c t="inlineStr"><is><t>Time</t></is></c></row><row r="2000000"><c><v>1</v></c></row>`), nil, flate.DefaultCompression)},
		{Name: "xlsx-20000-cells.xlsx", Want: "failed", Reason: "16384", Write: xlsx(rawSheet(`<row>`+strings.Repeat(`<c><v>1</v></c>`, 20000)+`</row>`), nil, flate.DefaultCompression)},
		{Name: "xlsx-bad-cell-ref.xlsx", Want: "failed", Write: xlsx(rawSheet(`<row><c r="ZZZZ1"><v>1</v></c></row>`), nil, flate.DefaultCompression)},
		{Name: "xlsx-70000-parts.xlsx", Want: "failed", Reason: "parts", Write: manyParts(70000)},
		{Name: "xlsx-truncated.xlsx", Want: "failed", Write: truncated(xlsx(sheetRows(200, false), nil, flate.DefaultCompression), 0.6)},
		{Name: "xlsx-not-a-zip.xlsx", Want: "failed", Write: randomBytes(2, 64<<10)},
		{Name: "xlsx-no-workbook.xlsx", Want: "failed", Write: zipOf(map[string]string{"[Content_Types].xml": contentTypes})},
		{Name: "xlsx-deep-nesting.xlsx", Want: "failed", Write: xlsx(repeat("", "<x>", 500_000, ""), nil, flate.DefaultCompression)},
		{Name: "xlsx-bad-xml.xlsx", Want: "failed", Write: xlsx(rawSheet(`<row><c><v>1</c></row>`), nil, flate.DefaultCompression)},
		{Name: "xlsx-shared-index-out-of-range.xlsx", Want: "failed", Write: xlsx(rawSheet(`<row><c t="s"><v>99999999</v></c></row>`), nil, flate.DefaultCompression)},
		{Name: "xlsx-excel-serial-61.xlsx", Want: "invalid_time", Reason: "earliest accepted", Write: xlsx(rawSheet(headerRow+`<row r="2"><c t="inlineStr"><is><t>1001</t></is></c><c><v>61</v></c></row>`), nil, flate.DefaultCompression),
			Mapping: `{ employee_key: { column: Pin }, time: { column: Time, layout: excel } }`},
		// An HTML table saved as .xls: 300,000 rows, and a page over the
		// size limit.
		{Name: "html-table-15MB.xls", Want: "imported", Mapping: htmlMapping,
			Write: repeat(htmlHead, htmlRow, 15*mb/len(htmlRow), htmlTail)},
		{Name: "html-table-70MB.xls", Want: "failed", Reason: "64.0 MiB", Mapping: htmlMapping,
			Write: repeat(htmlHead, htmlRow, 70*mb/len(htmlRow), htmlTail)},
		{Name: "html-not-a-table.xls", Want: "failed", Reason: "without a <table>", Write: text("<html><body><p>no data</p></body></html>")},
	}
	if len(xlsBase) > 0 {
		cs = append(cs, Case{Name: "good.xls", Want: "imported", Mapping: xlsMapping, Write: bytesOf(xlsBase)})
		// One byte flipped in each field of the compound-file header that
		// counts or locates sectors, and in the first directory entry.
		for _, f := range []struct {
			at   int
			name string
		}{{0x1A, "version"}, {0x1E, "sector-shift"}, {0x28, "dir-sectors"}, {0x2F, "fat-count"}, {0x30, "first-dir"},
			{0x3C, "first-minifat"}, {0x43, "minifat-count"}, {0x4B, "difat-count"}, {0x4C, "first-fat-sector"}} {
			cs = append(cs, Case{Name: "xls-flipped-" + f.name + ".xls", Want: "failed", Mapping: xlsMapping, Write: flipped(xlsBase, f.at)})
		}
		// The first DIFAT sector of a file with no DIFAT is never read: the
		// file imports as it was.
		cs = append(cs, Case{Name: "xls-flipped-unused-difat.xls", Want: "imported", Mapping: xlsMapping, Write: flipped(xlsBase, 0x44)})
		cs = append(cs, Case{Name: "xls-truncated.xls", Want: "failed", Mapping: xlsMapping, Write: bytesOf(xlsBase[:len(xlsBase)*2/3])})
	}
	return cs
}

// An HTML table as web exports (Hikvision and the like) save under .xls.
const (
	htmlHead    = "<html><head><meta charset=\"utf-8\"></head><body><table border=\"1\">\n<tr><th>Pin</th><th>Time</th></tr>\n"
	htmlRow     = "<tr><td>1001</td><td>2025-12-01 08:00:00</td></tr>\n"
	htmlTail    = "</table></body></html>\n"
	htmlMapping = "{ employee_key: Pin, time: Time }"
)

func bytesOf(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

func flipped(b []byte, at int) func(io.Writer) error {
	c := append([]byte(nil), b...)
	if at < len(c) {
		c[at] ^= 0xFF
	}
	return bytesOf(c)
}

func randomBytes(seed uint64, n int) func(io.Writer) error {
	return func(w io.Writer) error {
		r := rand.New(rand.NewPCG(seed, seed))
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		_, err := w.Write(b)
		return err
	}
}

func utf16le(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

// truncated writes the first fraction of what gen writes.
func truncated(gen func(io.Writer) error, fraction float64) func(io.Writer) error {
	return func(w io.Writer) error {
		var all strings.Builder
		if err := gen(&all); err != nil {
			return err
		}
		_, err := io.WriteString(w, all.String()[:int(float64(all.Len())*fraction)])
		return err
	}
}

func zipOf(parts map[string]string) func(io.Writer) error {
	return func(w io.Writer) error {
		z := zip.NewWriter(w)
		for name, body := range parts {
			f, err := z.Create(name)
			if err != nil {
				return err
			}
			io.WriteString(f, body)
		}
		return z.Close()
	}
}

func manyParts(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		z := zip.NewWriter(bw)
		for i := range n {
			if _, err := z.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("p/%d", i), Method: zip.Store}); err != nil {
				return err
			}
		}
		if err := z.Close(); err != nil {
			return err
		}
		return bw.Flush()
	}
}
