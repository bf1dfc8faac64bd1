package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// The limits a workbook is read within, so memory stays bounded whatever
// the file holds: a zip part's inflated size and compression ratio are
// checked in the zip directory before anything is inflated, the rest as
// the parts are streamed. The row and column limits are the formats' own.
const (
	maxXLSXRows     = 1 << 20   // Excel's 1,048,576 rows
	maxXLSXColumns  = 16384     // column XFD
	maxXLSRows      = 65536     // BIFF8
	maxZipEntries   = 65535     // parts in one workbook
	maxPartBytes    = 1 << 30   // one part, inflated: a full sheet is about a third of it
	maxPartRatio    = 100       // inflated : compressed, for parts over ratioFloor
	ratioFloor      = 1 << 20   // a small part may compress as well as it likes
	maxMetaBytes    = 32 << 20  // the workbook, styles and relationships parts excelize holds
	maxSharedBytes  = 48 << 20  // the shared-string table held in memory, 16 bytes a string counted
	maxCellBytes    = 256 << 10 // one cell's text (Excel's limit is 32,767 characters)
	maxXMLTextRun   = 1 << 20   // bytes between two tags (or inside one) an XML token may hold
	maxXLSFileBytes = 64 << 20  // an .xls is read whole into memory, by two readers
	// An HTML table saved as .xls keeps its cells' text in memory (the
	// tokens pass); real ones, a month of a site's punches, are a few MB.
	maxHTMLFileBytes = 64 << 20
)

// LimitError is a workbook over one of the limits: the file fails, naming it.
type LimitError struct{ What string }

func (e *LimitError) Error() string { return e.What }

func limitf(format string, args ...any) error {
	return &LimitError{What: fmt.Sprintf(format, args...)}
}

func mib(n uint64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkZipDirectory reads the zip's end-of-directory record and refuses a
// directory with more entries than a workbook has, before archive/zip
// allocates one entry for each.
func checkZipDirectory(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size()
	tail := min(size, 65535+22)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return err
	}
	at := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if at < 0 || at+22 > len(buf) {
		return errors.New("the file is damaged or truncated: no zip directory at its end")
	}
	entries := uint64(binary.LittleEndian.Uint16(buf[at+10:]))
	if entries == 0xFFFF && at >= 20 && bytes.Equal(buf[at-20:at-16], []byte("PK\x06\x07")) {
		off := int64(binary.LittleEndian.Uint64(buf[at-20+8:]))
		rec := make([]byte, 56)
		if off < 0 || off+56 > size {
			return errors.New("the file is damaged: its zip64 directory lies outside the file")
		}
		if _, err := f.ReadAt(rec, off); err != nil {
			return err
		}
		entries = binary.LittleEndian.Uint64(rec[32:])
	}
	if entries > maxZipEntries {
		return limitf("the zip directory lists %d parts, over the limit of %d for a workbook", entries, maxZipEntries)
	}
	return nil
}

// checkParts checks every part's sizes as the directory states them (the
// zip reader fails a part that inflates past its stated size) and returns
// a zip of the parts excelize is given: the workbook, its relationships,
// the styles and the content types. Worksheets and shared strings are
// streamed here instead; excelize would hold them (and everything else in
// the file) in memory.
func checkParts(zr *zip.Reader) ([]byte, error) {
	var out bytes.Buffer
	w := zip.NewWriter(&out)
	var meta uint64
	book := officeDocument(zr)
	for _, zf := range zr.File {
		inflated, packed := zf.UncompressedSize64, zf.CompressedSize64
		if inflated > maxPartBytes {
			return nil, limitf("part %s inflates to %s, over the limit of %s for one workbook part", zf.Name, mib(inflated), mib(maxPartBytes))
		}
		if inflated > ratioFloor && inflated > maxPartRatio*max(packed, 1) {
			return nil, limitf("part %s inflates %d times (%s from %s), over the limit of %d times for a workbook part (a zip bomb?)",
				zf.Name, inflated/max(packed, 1), mib(inflated), mib(packed), maxPartRatio)
		}
		if !excelizePart(zf.Name, book) {
			continue
		}
		if meta += inflated; meta > maxMetaBytes {
			return nil, limitf("the workbook's parts (workbook, styles, relationships) inflate to more than %s, the limit", mib(maxMetaBytes))
		}
		raw, err := zf.OpenRaw()
		if err != nil {
			return nil, err
		}
		h := zf.FileHeader
		dst, err := w.CreateRaw(&h)
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(dst, raw); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// excelizePart says whether excelize needs a part to read the workbook's
// sheet list, date system and styles.
func excelizePart(name, book string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "\\", "/"))
	switch {
	case n == "[content_types].xml", n == "_rels/.rels", book != "" && (n == book || n == path.Join(path.Dir(book), "_rels", path.Base(book)+".rels")):
		return true
	case strings.HasPrefix(n, "xl/worksheets/"), strings.HasPrefix(n, "xl/sharedstrings"):
		return false
	}
	return strings.HasSuffix(n, "workbook.xml") || strings.HasSuffix(n, "workbook.xml.rels") || strings.HasSuffix(n, "styles.xml")
}

// officeDocument is the workbook part _rels/.rels names (lower case, no
// leading slash), for a workbook not called xl/workbook.xml; "" when the
// relationships part is missing, too big or unreadable.
func officeDocument(zr *zip.Reader) string {
	for _, zf := range zr.File {
		if !strings.EqualFold(zf.Name, "_rels/.rels") || zf.UncompressedSize64 > 1<<20 {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return ""
		}
		defer rc.Close()
		var rels workbookRels
		if xml.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&rels) != nil {
			return ""
		}
		for _, r := range rels.Rels {
			if strings.HasSuffix(r.Type, "/officeDocument") {
				return strings.ToLower(strings.TrimPrefix(r.Target, "/"))
			}
		}
	}
	return ""
}

// runLimiter fails an XML stream that holds more than maxXMLTextRun bytes
// without a tag boundary: encoding/xml gathers a token whole before it
// hands it out, so a 4 GiB run of spaces would be one 4 GiB token.
type runLimiter struct {
	src  io.Reader
	part string
	run  int
}

func (l *runLimiter) Read(p []byte) (int, error) {
	n, err := l.src.Read(p)
	for _, b := range p[:n] {
		if b == '<' || b == '>' {
			l.run = 0
		} else if l.run++; l.run > maxXMLTextRun {
			return 0, limitf("part %s holds more than %s of text without a tag, over the limit", l.part, mib(maxXMLTextRun))
		}
	}
	return n, err
}
