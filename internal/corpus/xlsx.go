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

const contentTypes = `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
	`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
	`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
	`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
	`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`

const rootRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`

const workbook = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
	`<sheets><sheet name="Punches" sheetId="1" r:id="rId1"/></sheets></workbook>`

const workbookRels = `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
	`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>`

const sharedRel = `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`

const sheetHead = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

const headerRow = `<row r="1"><c t="inlineStr"><is><t>Pin</t></is></c><c t="inlineStr"><is><t>Time</t></is></c></row>`

// xlsx writes a one-sheet workbook whose sheet and shared strings (nil:
// none) are written by the functions given, deflated at level.
func xlsx(sheet, sst func(io.Writer) error, level int) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		z := zip.NewWriter(bw)
		z.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) { return flate.NewWriter(out, level) })
		rels := workbookRels + "</Relationships>"
		if sst != nil {
			rels = workbookRels + sharedRel + "</Relationships>"
		}
		parts := []struct {
			name string
			gen  func(io.Writer) error
		}{{"[Content_Types].xml", text(contentTypes)}, {"_rels/.rels", text(rootRels)}, {"xl/workbook.xml", text(workbook)},
			{"xl/_rels/workbook.xml.rels", text(rels)}, {"xl/worksheets/sheet1.xml", sheet}}
		if sst != nil {
			parts = append(parts, struct {
				name string
				gen  func(io.Writer) error
			}{"xl/sharedStrings.xml", sst})
		}
		for _, p := range parts {
			f, err := z.Create(p.name)
			if err != nil {
				return err
			}
			if err := p.gen(f); err != nil {
				return err
			}
		}
		if err := z.Close(); err != nil {
			return err
		}
		return bw.Flush()
	}
}

func rawSheet(rows string) func(io.Writer) error { return text(sheetHead + rows + sheetTail) }

// sheetRows is the header and n punch rows; with shared, the first data
// cell is shared string 0.
func sheetRows(n int, shared bool) func(io.Writer) error {
	var b strings.Builder
	b.WriteString(headerRow)
	for i := range n {
		key := fmt.Sprintf(`<c t="inlineStr"><is><t>%d</t></is></c>`, 1001+i%2)
		if shared && i == 0 {
			key = `<c t="s"><v>0</v></c>`
		}
		fmt.Fprintf(&b, `<row r="%d">%s<c t="inlineStr"><is><t>2025-12-01 08:%02d:00</t></is></c></row>`, i+2, key, i%60)
	}
	return rawSheet(b.String())
}

// padded is a sheet holding n spaces between two rows.
func padded(n int) func(io.Writer) error {
	return repeat(sheetHead+headerRow, strings.Repeat(" ", 1<<16), n>>16, sheetTail)
}

func sstHead(count int) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, count, count)
}

// hugeString is a shared-string table of one string of n bytes.
func hugeString(n int) func(io.Writer) error {
	return repeat(sstHead(1)+"<si><t>", strings.Repeat("A", 1<<16), n>>16, "</t></si></sst>")
}

// randomString is one string of n random letters, which deflate cannot shrink much.
func randomString(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		r := rand.New(rand.NewPCG(3, 3))
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(r.UintN(26))
		}
		_, err := io.WriteString(w, sstHead(1)+"<si><t>"+string(b)+"</t></si></sst>")
		return err
	}
}

// manyStrings is a table of n distinct short strings.
func manyStrings(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		bw.WriteString(sstHead(n))
		for i := range n {
			fmt.Fprintf(bw, "<si><t>%x</t></si>", uint32(i)*2654435761)
		}
		bw.WriteString("</sst>")
		return bw.Flush()
	}
}

// bigCell is a sheet with one inline string of n bytes.
func bigCell(n int) func(io.Writer) error {
	return func(w io.Writer) error {
		r := rand.New(rand.NewPCG(4, 4))
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(r.UintN(26))
		}
		_, err := io.WriteString(w, sheetHead+headerRow+`<row r="2"><c t="inlineStr"><is><t>`+string(b)+`</t></is></c></row>`+sheetTail)
		return err
	}
}
