package textfile

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

// Canonical encoding names, as Detection reports them and config accepts them.
const (
	encUTF8        = "utf-8"
	encUTF16LE     = "utf-16le"
	encUTF16BE     = "utf-16be"
	encGB18030     = "gb18030"
	encGBK         = "gbk"
	encBig5        = "big5"
	encWindows1252 = "windows-1252"
	encWindows1258 = "windows-1258"
)

// sampleSize is how much of the file auto-detection looks at.
const sampleSize = 64 << 10

// encodingAliases maps every accepted spelling (lower case) to its canonical name.
var encodingAliases = map[string]string{
	"utf-8": encUTF8, "utf8": encUTF8,
	"utf-16le": encUTF16LE, "utf16le": encUTF16LE,
	"utf-16be": encUTF16BE, "utf16be": encUTF16BE,
	"gb18030": encGB18030,
	"gbk":     encGBK, "gb2312": encGBK, "cp936": encGBK,
	"big5":         encBig5,
	"windows-1252": encWindows1252, "cp1252": encWindows1252,
	"windows-1258": encWindows1258, "cp1258": encWindows1258,
}

// ValidEncoding reports whether name is an encoding Options.Encoding or
// Options.Fallback accepts ("" and "auto" included).
func ValidEncoding(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || n == "auto" {
		return true
	}
	_, ok := encodingAliases[n]
	return ok
}

// ParseEncoding checks an encoding name as Options.Encoding and
// Options.Fallback take it and returns its canonical name, "" for auto.
// config calls it while parsing, so the list of accepted names lives here.
func ParseEncoding(name string) (string, error) { return canonicalEncoding(name) }

// canonicalEncoding returns the canonical name, "" for auto.
func canonicalEncoding(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" || n == "auto" {
		return "", nil
	}
	if c, ok := encodingAliases[n]; ok {
		return c, nil
	}
	return "", fmt.Errorf("unknown encoding %q (want auto, utf-8, utf-16le, utf-16be, gb18030, gbk, big5, windows-1252 or windows-1258)", name)
}

// decoderFor returns the x/text encoding for a canonical name; nil means
// the bytes are UTF-8 already and pass through untouched.
func decoderFor(canonical string) encoding.Encoding {
	switch canonical {
	case encUTF16LE:
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	case encUTF16BE:
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	case encGB18030:
		return simplifiedchinese.GB18030
	case encGBK:
		return simplifiedchinese.GBK
	case encBig5:
		return traditionalchinese.Big5
	case encWindows1252:
		return charmap.Windows1252
	case encWindows1258:
		return charmap.Windows1258
	}
	return nil
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// sniffBOM returns the encoding a byte-order mark declares and the mark's length.
func sniffBOM(sample []byte) (string, int) {
	switch {
	case bytes.HasPrefix(sample, bomUTF8):
		return encUTF8, len(bomUTF8)
	case bytes.HasPrefix(sample, bomUTF16LE):
		return encUTF16LE, len(bomUTF16LE)
	case bytes.HasPrefix(sample, bomUTF16BE):
		return encUTF16BE, len(bomUTF16BE)
	}
	return "", 0
}

// sniffUTF16 recognises UTF-16 without a BOM by its zero bytes: text that is
// mostly ASCII has a zero in every other byte, on the odd side for little
// endian and the even side for big endian. Such a file is valid UTF-8 full of
// NULs, so this must run before the UTF-8 check.
func sniffUTF16(sample []byte) string {
	pairs := len(sample) / 2
	if pairs < 2 {
		return ""
	}
	var evenZero, oddZero int
	for i := 0; i+1 < len(sample); i += 2 {
		if sample[i] == 0 {
			evenZero++
		}
		if sample[i+1] == 0 {
			oddZero++
		}
	}
	switch {
	case oddZero*10 >= pairs*4 && evenZero*20 < pairs:
		return encUTF16LE
	case evenZero*10 >= pairs*4 && oddZero*20 < pairs:
		return encUTF16BE
	}
	return ""
}

// trimCutRune drops an incomplete multibyte rune at the end of a sample that
// was cut by the sample size, so it is not mistaken for invalid UTF-8.
func trimCutRune(sample []byte) []byte {
	for i := len(sample) - 1; i >= 0 && i >= len(sample)-utf8.UTFMax; i-- {
		if utf8.RuneStart(sample[i]) {
			if !utf8.FullRune(sample[i:]) {
				return sample[:i]
			}
			return sample
		}
	}
	return sample
}

// invalidUTF8 returns the offset of the first byte that is not valid UTF-8, or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// lineColumn turns a byte offset into a 1-based line and byte column.
func lineColumn(b []byte, offset int) (line, column int) {
	before := b[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	column = offset - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, column
}

// encodingHint is appended to every "not UTF-8" message so the user knows
// what to write in the configuration.
const encodingHint = "set format.encoding to the file's encoding (e.g. gbk or gb18030 for Chinese, big5, windows-1252 for Western European, windows-1258 for Vietnamese)"

// chooseEncoding decides how to decode a file from its first bytes. It
// returns the canonical encoding and the length of a byte-order mark to skip.
// A byte-order mark wins over the declared encoding: it is the file's own
// statement and cannot be wrong by accident.
func chooseEncoding(path string, sample []byte, atEOF bool, declared, fallback string) (string, int, error) {
	if enc, n := sniffBOM(sample); enc != "" {
		// A mark that contradicts the declaration wins only where the text
		// bears it out: UTF-8 is checked as it is read, and a UTF-16 body
		// shows in its zero bytes. A UTF-16 mark over UTF-8 text would
		// decode to one line of noise: that conflict is an error.
		if declared != "" && declared != enc && enc != encUTF8 && sniffUTF16(sample[n:]) != enc {
			return "", 0, fmt.Errorf("%s: starts with a %s byte-order mark, but the text is not %s and format.encoding says %s; fix the declaration or the file", path, enc, enc, declared)
		}
		return enc, n, nil
	}
	if declared != "" {
		return declared, 0, nil
	}
	if enc := sniffUTF16(sample); enc != "" {
		return enc, 0, nil
	}
	checked := sample
	if !atEOF {
		checked = trimCutRune(sample)
	}
	bad := invalidUTF8(checked)
	if bad < 0 {
		return encUTF8, 0, nil
	}
	if fallback != "" {
		return fallback, 0, nil
	}
	line, col := lineColumn(checked, bad)
	return "", 0, fmt.Errorf("%s: line %d, column %d: byte 0x%02X is not valid UTF-8 and no encoding is declared; %s",
		path, line, col, checked[bad], encodingHint)
}
