package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The CSV encoder appends cells to a byte buffer instead of going through
// encoding/csv: the report writes a line for every input row, and the
// strings, rune writes and quoting checks of csv.Writer showed in the
// import's CPU profile. Its output is byte for byte what csv.Writer (comma
// separated, "\n" line ends) writes after SafeCell; csv_test.go holds it to
// that.

// appendCells appends cells separated by commas, each through SafeCell.
func appendCells(b []byte, cells ...string) []byte {
	for i, s := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCell(b, s)
	}
	return b
}

// appendFields appends fields separated by commas, quoted as csv.Writer
// would but without SafeCell: for headers.
func appendFields(b []byte, fields ...string) []byte {
	for i, s := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendField(b, s)
	}
	return b
}

// appendCell appends SafeCell(s) as one CSV field, without building the
// escaped string.
func appendCell(b []byte, s string) []byte {
	if plainCell(s) {
		return append(b, s...)
	}
	s = escapeControls(s)
	if !formulaStart(s[0]) {
		return appendField(b, s)
	}
	// "'" + s neither is `\.` nor starts with a space, so only its bytes
	// decide the quoting.
	if !hasSpecial(s) {
		return append(append(b, '\''), s...)
	}
	b = append(b, '"', '\'')
	return append(appendEscaped(b, s), '"')
}

// plainCell reports whether s goes out as it is, with neither apostrophe
// nor quotes. It is the cheap test for the common cell; anything starting
// with a control character, space or non-ASCII byte takes the full rules.
func plainCell(s string) bool {
	if s == "" {
		return true
	}
	if c := s[0]; c <= ' ' || c >= utf8.RuneSelf || formulaStart(c) {
		return false
	}
	return !hasSpecial(s) && s != `\.`
}

// appendField appends s quoted exactly when csv.Writer would quote it.
func appendField(b []byte, s string) []byte {
	s = escapeControls(s)
	if !needsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	return append(appendEscaped(b, s), '"')
}

// needsQuotes is csv.Writer's fieldNeedsQuotes for a comma separator.
func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` { // Postgres's end-of-data marker
		return true
	}
	if hasSpecial(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// specials has bit c set for each byte c that takes a cell off the plain
// path: those that force quotes, and the control bytes escapeControls
// rewrites.
const specials uint64 = 1<<',' | 1<<'"' | 1<<'\r' | 1<<'\n' | controls

// controls has bit c set for the control bytes other than tab and line
// breaks: an ESC or NUL in a key would reach a terminal or a spreadsheet
// as it is.
const controls uint64 = (1<<32 - 1) &^ (1<<'\t' | 1<<'\n' | 1<<'\r')

// escapeControls writes each control byte of s (see controls) as \xHH, so
// the report shows it instead of passing it on; s itself when it has none.
func escapeControls(s string) string {
	i := 0
	for i < len(s) && (s[i] >= 32 || controls>>s[i]&1 == 0) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		if c := s[i]; c < 32 && controls>>c&1 != 0 {
			fmt.Fprintf(&b, "\\x%02X", c)
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hasSpecial reports whether s holds a byte that forces quotes. It runs on
// every cell, so each byte costs one shift and one branch that is all but
// never taken (a shift by 64 or more gives 0, which covers bytes past '"').
func hasSpecial(s string) bool {
	for i := 0; i < len(s); i++ {
		if specials>>s[i]&1 != 0 {
			return true
		}
	}
	return false
}

// appendEscaped appends the inside of a quoted field: quotes doubled, line
// breaks kept as they are (csv.Writer without UseCRLF).
func appendEscaped(b []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
}

// appendInt appends n as a cell.
func appendInt(b []byte, n int) []byte {
	start := len(b)
	return guardFormula(strconv.AppendInt(b, int64(n), 10), start)
}

// appendTime appends t as an RFC 3339 cell.
func appendTime(b []byte, t time.Time) []byte {
	start := len(b)
	return guardFormula(t.AppendFormat(b, time.RFC3339), start)
}

// guardFormula gives the cell we formatted ourselves at b[start:] SafeCell's
// apostrophe. Digits and RFC 3339 times never need quotes, but a negative
// number or a year before 1 starts with '-'.
func guardFormula(b []byte, start int) []byte {
	if start < len(b) && formulaStart(b[start]) {
		return slices.Insert(b, start, '\'')
	}
	return b
}

// formulaStart reports whether a cell starting with c would be read as a
// formula by a spreadsheet.
func formulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}
