package sheet

import (
	"encoding/binary"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// recCodePage is BIFF's CODEPAGE record: the code page of the workbook's
// 8-bit strings.
const recCodePage = 0x0042

// codePage decodes a workbook's 8-bit ("compressed") strings, which
// xlsReader hands back as raw bytes: "Paña" arrived as invalid UTF-8.
// Excel itself writes code page 1200 and Latin-1 bytes; other writers
// write the workbook's code page, which the CODEPAGE record names.
type codePage struct {
	once sync.Once
	dec  *encoding.Decoder
}

// codePages are the Windows code pages BIFF names, by number.
var codePages = map[uint16]encoding.Encoding{
	1200: charmap.ISO8859_1, 367: charmap.ISO8859_1, 0x8001: charmap.Windows1252,
	874: charmap.Windows874, 1250: charmap.Windows1250, 1251: charmap.Windows1251, 1252: charmap.Windows1252,
	1253: charmap.Windows1253, 1254: charmap.Windows1254, 1255: charmap.Windows1255, 1256: charmap.Windows1256,
	1257: charmap.Windows1257, 1258: charmap.Windows1258, 10000: charmap.Macintosh, 0x8000: charmap.Macintosh,
	932: japanese.ShiftJIS, 936: simplifiedchinese.GBK, 949: korean.EUCKR, 950: traditionalchinese.Big5,
}

// text returns s as UTF-8: as it is when it already is, else decoded with
// the workbook's code page (Latin-1 when it names none).
func (b *xlsBook) text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b.codePage.once.Do(func() {
		enc := encoding.Encoding(charmap.ISO8859_1)
		_ = b.records(0, func(_ int, id uint16, body []byte) error {
			if id == recCodePage && len(body) >= 2 {
				if e, ok := codePages[binary.LittleEndian.Uint16(body)]; ok {
					enc = e
				}
			}
			return nil
		})
		b.codePage.dec = enc.NewDecoder()
	})
	out, err := b.codePage.dec.String(s)
	if err != nil {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return out
}
