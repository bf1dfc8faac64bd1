package textfile

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
)

// Delimiter names as Detection reports them.
const (
	delimComma      = ","
	delimSemicolon  = ";"
	delimTab        = "tab"
	delimPipe       = "|"
	delimWhitespace = "whitespace"
)

// delimiterAliases maps every accepted spelling to its canonical name.
var delimiterAliases = map[string]string{
	",": delimComma, "comma": delimComma,
	";": delimSemicolon, "semicolon": delimSemicolon,
	"\t": delimTab, "tab": delimTab, `\t`: delimTab,
	"|": delimPipe, "pipe": delimPipe,
	"whitespace": delimWhitespace, "space": delimWhitespace,
}

// ValidDelimiter reports whether name is a delimiter Options.Delimiter
// accepts ("" and "auto" included).
func ValidDelimiter(name string) bool {
	_, err := canonicalDelimiter(name)
	return err == nil
}

// ParseDelimiter checks a delimiter as Options.Delimiter takes it and
// returns its canonical name, "" for auto. config calls it while parsing.
func ParseDelimiter(name string) (string, error) { return canonicalDelimiter(name) }

// canonicalDelimiter returns the canonical name, "" for auto.
func canonicalDelimiter(name string) (string, error) {
	if name == "\t" {
		return delimTab, nil
	}
	n := strings.ToLower(strings.TrimSpace(name))
	if name == "" || n == "auto" {
		return "", nil
	}
	if c, ok := delimiterAliases[n]; ok {
		return c, nil
	}
	return "", fmt.Errorf(`unknown delimiter %q (want auto, ",", ";", tab, pipe or whitespace)`, name)
}

// delimiterRune is the csv.Reader comma for a canonical character delimiter.
func delimiterRune(canonical string) rune {
	switch canonical {
	case delimSemicolon:
		return ';'
	case delimTab:
		return '\t'
	case delimPipe:
		return '|'
	}
	return ','
}

// detectLines is how many records of the sample delimiter detection weighs.
const detectLines = 50

// detectDelimiter picks the delimiter that splits the sample's records into
// the same number (>1) of fields. Among character delimiters the one giving
// the most fields wins (a semicolon file with decimal commas splits more on
// ';'), ties in the order comma, tab, semicolon, pipe. Whitespace is the last
// resort, because a tab or comma file with spaces inside its fields would
// often split "consistently" on whitespace too; it beats tab only when the
// two split alike and the file looks like a punch log rather than a table
// with a header: tab-separated fields padded with spaces (ZKTeco attlog.dat
// pads the PIN) or a date-time in the first record. If no delimiter is
// consistent, the one whose most common count (>1) covers most records wins;
// a file of one column reads as comma-separated.
func detectDelimiter(sample []byte, atEOF bool) string {
	if !atEOF {
		// Drop the last line: the sample may have cut it.
		if i := bytes.LastIndexByte(sample, '\n'); i >= 0 {
			sample = sample[:i+1]
		}
	}
	type candidate struct {
		name   string
		counts []int
	}
	candidates := []candidate{
		{name: delimComma}, {name: delimTab}, {name: delimSemicolon}, {name: delimPipe},
	}
	for i := range candidates {
		candidates[i].counts = csvFieldCounts(sample, delimiterRune(candidates[i].name))
	}
	wsCounts, wsPadded, wsDateTime := whitespaceStats(sample)

	best, bestCount := "", 0
	for _, c := range candidates {
		if n, ok := consistent(c.counts); ok && n > bestCount {
			best, bestCount = c.name, n
		}
	}
	looksLikePunchLog := wsPadded || wsDateTime
	wsN, wsOK := consistent(wsCounts)
	if best == delimTab && wsOK && wsN == bestCount && looksLikePunchLog {
		return delimWhitespace
	}
	if best != "" {
		return best
	}
	if wsOK {
		return delimWhitespace
	}

	best, bestShare := delimComma, 0.0
	for _, c := range candidates {
		if share := modeShare(c.counts); share > bestShare {
			best, bestShare = c.name, share
		}
	}
	wsShare := modeShare(wsCounts)
	if wsShare > bestShare || (best == delimTab && wsShare == bestShare && looksLikePunchLog) {
		return delimWhitespace
	}
	return best
}

// csvFieldCounts parses the sample leniently and returns each non-blank
// record's field count; a record cut by the sample's end is left out.
func csvFieldCounts(sample []byte, comma rune) []int {
	r := csv.NewReader(bytes.NewReader(sample))
	r.Comma = comma
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	var counts []int
	for len(counts) < detectLines {
		rec, err := r.Read()
		if err != nil {
			break
		}
		if isBlankRecord(rec) {
			continue
		}
		counts = append(counts, len(rec))
	}
	return counts
}

// whitespaceStats splits the sample's first lines as whitespace mode would.
// padded reports a tab-separated field with leading or trailing spaces;
// dateTime reports a joined date-time field in the first record.
func whitespaceStats(sample []byte) (counts []int, padded, dateTime bool) {
	for len(sample) > 0 && len(counts) < detectLines {
		line := sample
		if i := bytes.IndexByte(sample, '\n'); i >= 0 {
			line, sample = sample[:i], sample[i+1:]
		} else {
			sample = nil
		}
		text := strings.TrimRight(string(line), "\r")
		if isBlankLine(text) {
			continue
		}
		fields := splitWhitespace(text, nil)
		if len(counts) == 0 {
			for _, f := range fields {
				if strings.IndexByte(f, ' ') > 0 {
					dateTime = true
				}
			}
		}
		counts = append(counts, len(fields))
		if !padded && strings.IndexByte(text, '\t') >= 0 {
			for _, f := range strings.Split(text, "\t") {
				if f != "" && f != strings.TrimSpace(f) {
					padded = true
					break
				}
			}
		}
	}
	return counts, padded, dateTime
}

// consistent reports the common field count when every record has the same
// one and it is more than one.
func consistent(counts []int) (int, bool) {
	if len(counts) == 0 || counts[0] < 2 {
		return 0, false
	}
	for _, n := range counts[1:] {
		if n != counts[0] {
			return 0, false
		}
	}
	return counts[0], true
}

// modeShare is the share of records having the most common field count,
// counting only counts above one.
func modeShare(counts []int) float64 {
	if len(counts) == 0 {
		return 0
	}
	freq := map[int]int{}
	top := 0
	for _, n := range counts {
		if n < 2 {
			continue
		}
		freq[n]++
		top = max(top, freq[n])
	}
	return float64(top) / float64(len(counts))
}

// splitWhitespace splits a line in whitespace mode and appends the fields to
// dst.
//
// Fields are separated by tabs and/or runs of spaces, and come out trimmed,
// with one exception: a date token followed by exactly one space and a time
// token stays one field, "2024-03-01 08:00:05". A date token is
// YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or DD/MM/YYYY (also with - or .; one-
// or two-digit day and month); a time token is HH:MM or HH:MM:SS, with an
// optional fraction of a second. So a ZKTeco attlog.dat line
// "    1\t2024-03-01 08:00:05\t1\t0\t1\t0" gives six fields with the
// timestamp in field 2. Quotes have no meaning in whitespace mode.
func splitWhitespace(line string, dst []string) []string {
	i := 0
	prevDate := false // the last field is a date token followed by one space
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			return dst
		}
		start := i
		for i < len(line) && line[i] != ' ' && line[i] != '\t' {
			i++
		}
		token := line[start:i]
		if prevDate && isTimeToken(token) {
			last := len(dst) - 1
			dst[last] = line[start-1-len(dst[last]) : i]
			prevDate = false
			continue
		}
		dst = append(dst, token)
		prevDate = isDateToken(token) && i+1 < len(line) && line[i] == ' ' && line[i+1] != ' ' && line[i+1] != '\t'
	}
}

// isDateToken matches Y-M-D with a four-digit year first, or D-M-Y / M-D-Y
// with it last; the separator is -, / or . and the same both times.
func isDateToken(s string) bool {
	a, rest, ok := digitRun(s)
	if !ok || len(rest) == 0 {
		return false
	}
	sep := rest[0]
	if sep != '-' && sep != '/' && sep != '.' {
		return false
	}
	b, rest, ok := digitRun(rest[1:])
	if !ok || len(rest) == 0 || rest[0] != sep {
		return false
	}
	c, rest, ok := digitRun(rest[1:])
	if !ok || rest != "" || len(b) > 2 {
		return false
	}
	switch {
	case len(a) == 4:
		return len(c) <= 2
	case len(c) == 4:
		return len(a) <= 2
	}
	return false
}

// isTimeToken matches H:MM, HH:MM, HH:MM:SS and HH:MM:SS.fff.
func isTimeToken(s string) bool {
	h, rest, ok := digitRun(s)
	if !ok || len(h) > 2 || len(rest) == 0 || rest[0] != ':' {
		return false
	}
	m, rest, ok := digitRun(rest[1:])
	if !ok || len(m) != 2 {
		return false
	}
	if rest == "" {
		return true
	}
	if rest[0] != ':' {
		return false
	}
	sec, rest, ok := digitRun(rest[1:])
	if !ok || len(sec) != 2 {
		return false
	}
	if rest == "" {
		return true
	}
	if rest[0] != '.' {
		return false
	}
	_, rest, ok = digitRun(rest[1:])
	return ok && rest == ""
}

// digitRun splits s into its leading ASCII digits and the rest; ok is false
// when there are none.
func digitRun(s string) (digits, rest string, ok bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:], i > 0
}

// isBlankLine reports a line of nothing but spaces and tabs.
func isBlankLine(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' && s[i] != '\r' {
			return false
		}
	}
	return true
}

// isBlankRecord reports a CSV record read from a line of only spaces.
func isBlankRecord(rec []string) bool {
	return len(rec) == 1 && isBlankLine(rec[0])
}
