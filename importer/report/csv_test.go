package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/mapping"
)

// The report's CSV encoder must write exactly what encoding/csv wrote
// before it: the reference below is a frozen copy of that path.

// refSafeCell is SafeCell as it was when the reference was taken.
func refSafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// refFile starts a report the old way: BOM, then encoding/csv.
func refFile(buf *bytes.Buffer, head []string) *csv.Writer {
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(buf)
	_ = cw.Write(refEscapeAll(head))
	return cw
}

// refEscape is escapeControls written plainly: every control byte but tab,
// CR and LF as \xHH.
func refEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			fmt.Fprintf(&b, "\\x%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func refEscapeAll(fields []string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = refEscape(f)
	}
	return out
}

// refRecord is the old File.Record.
func refRecord(cw *csv.Writer, rec []string) {
	for i := range rec {
		rec[i] = refSafeCell(refEscape(rec[i]))
	}
	_ = cw.Write(rec)
}

// refLine is the old Writer.Write's CSV record.
func refLine(l *Line, loc *time.Location) []string {
	ts := ""
	if !l.Time.IsZero() {
		ts = l.Time.In(loc).Format(time.RFC3339)
	}
	rec := []string{l.Source, l.File, l.Sheet, strconv.Itoa(l.Line), l.Key, l.EmployeeID, ts,
		l.Direction, l.Device, string(l.Outcome), l.Reason, refRawLine(l.Raw)}
	return rec
}

// refRawLine is the raw column: the fields as encoding/csv writes a record.
func refRawLine(fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	var sb strings.Builder
	cw := csv.NewWriter(&sb)
	_ = cw.Write(refEscapeAll(fields))
	cw.Flush()
	return strings.TrimSuffix(sb.String(), "\n")
}

func refReport(lines []*Line, loc *time.Location) []byte {
	var buf bytes.Buffer
	cw := refFile(&buf, header)
	for _, l := range lines {
		refRecord(cw, refLine(l, loc))
	}
	cw.Flush()
	return buf.Bytes()
}

func newReport(t testing.TB, lines []*Line, loc *time.Location) []byte {
	var buf bytes.Buffer
	w := New(&buf, CSV, loc)
	for _, l := range lines {
		if err := w.Write(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func refRecords(head []string, recs [][]string) []byte {
	var buf bytes.Buffer
	cw := refFile(&buf, head)
	for _, rec := range recs {
		refRecord(cw, append([]string(nil), rec...))
	}
	cw.Flush()
	return buf.Bytes()
}

func newRecords(t testing.TB, head []string, recs [][]string) []byte {
	var buf bytes.Buffer
	f := NewFile(&buf, CSV, head)
	for _, rec := range recs {
		if err := f.Record(append([]string(nil), rec...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fragments are the pieces that change how a cell is quoted or escaped.
var fragments = []string{
	"", "a", "Zé", "日本", ",", `"`, "\n", "\r", "\r\n", " ", "\t", "\v", "\f",
	"\u0085", "\u00a0", "\u2003", "\u3000", `\.`, `\`, ".", "=", "+", "-", "@",
	"'", "\xff", "\xe2\x80", "1", "x,y",
}

func randCell(r *rand.Rand) string {
	if r.IntN(10) == 0 {
		return `\.`
	}
	var sb strings.Builder
	for range r.IntN(5) {
		sb.WriteString(fragments[r.IntN(len(fragments))])
	}
	return sb.String()
}

func randCells(r *rand.Rand, n int) []string {
	cells := make([]string, n)
	for i := range cells {
		cells[i] = randCell(r)
	}
	return cells
}

func randTime(r *rand.Rand) time.Time {
	switch r.IntN(4) {
	case 0:
		return time.Time{}
	case 1: // years before 1 format with a leading '-'
		return time.Date(-r.IntN(3000), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1e9), time.UTC)
	}
	return time.Unix(r.Int64N(1<<40)-1<<39, r.Int64N(1e9))
}

func randLine(r *rand.Rand) *Line {
	c := randCells(r, 9)
	return &Line{Source: c[0], File: c[1], Sheet: c[2], Line: r.IntN(2e6) - 1e3, Key: c[3], EmployeeID: c[4],
		Time: randTime(r), Direction: c[5], Device: c[6], Outcome: mapping.Code(c[7]), Reason: c[8],
		Raw: randCells(r, r.IntN(4))}
}

var testZones = []*time.Location{time.UTC, time.FixedZone("CET", 3600), time.FixedZone("", -(9*3600 + 30*60)), time.FixedZone("odd", 17)}

func TestCSVMatchesEncodingCSV(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, loc := range testZones {
		lines := make([]*Line, 5000)
		for i := range lines {
			lines[i] = randLine(r)
		}
		if got, want := newReport(t, lines, loc), refReport(lines, loc); !bytes.Equal(got, want) {
			t.Fatalf("%s: report differs from encoding/csv\n%s", loc, firstDiff(got, want))
		}
	}
}

func TestRecordMatchesEncodingCSV(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	head := randCells(r, 6)
	recs := make([][]string, 5000)
	for i := range recs {
		recs[i] = randCells(r, r.IntN(8))
	}
	recs = append(recs, []string{}, []string{""}, []string{`\.`}, []string{"", ""})
	if got, want := newRecords(t, head, recs), refRecords(head, recs); !bytes.Equal(got, want) {
		t.Fatalf("records differ from encoding/csv\n%s", firstDiff(got, want))
	}
}

func FuzzCSVMatchesEncodingCSV(f *testing.F) {
	f.Add("gate", "=1+2", " lead", "a,\"b\"\r\n", `\.`, 7, int64(1764550800), true, uint8(1))
	f.Add("", "@x", "\tx", "\u00a0", "-", -3, int64(-62167219200-86400), true, uint8(0))
	f.Add("\r", "+", "", "'", "\u2028", 0, int64(0), false, uint8(2))
	f.Fuzz(func(t *testing.T, a, b, c, d, e string, line int, sec int64, hasTime bool, zone uint8) {
		l := &Line{Source: a, File: b, Sheet: c, Line: line, Key: d, EmployeeID: e, Direction: a + b,
			Device: c + d, Outcome: mapping.Code(e), Reason: d + a, Raw: []string{e, c, b}}
		if hasTime {
			l.Time = time.Unix(sec, 0)
		}
		loc := testZones[int(zone)%len(testZones)]
		if got, want := newReport(t, []*Line{l}, loc), refReport([]*Line{l}, loc); !bytes.Equal(got, want) {
			t.Fatalf("%s: report differs from encoding/csv\n%s", loc, firstDiff(got, want))
		}
		recs := [][]string{{a, b, c, d, e}, {e}, {}}
		if got, want := newRecords(t, []string{c, a}, recs), refRecords([]string{c, a}, recs); !bytes.Equal(got, want) {
			t.Fatalf("records differ from encoding/csv\n%s", firstDiff(got, want))
		}
	})
}

// firstDiff shows where two outputs part, for a readable failure.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-40)
	return "got  " + strconv.Quote(string(got[from:min(len(got), i+40)])) +
		"\nwant " + strconv.Quote(string(want[from:min(len(want), i+40)]))
}

// BenchmarkWriteCSV writes typical imported lines: what a 1M-row import
// spends on its report.
func BenchmarkWriteCSV(b *testing.B) {
	w := New(io.Discard, CSV, time.FixedZone("CET", 3600))
	l := &Line{Source: "gate", File: "/data/punches.csv", Key: "100316", EmployeeID: "E100316",
		Direction: "in", Device: "GATE-4", Outcome: mapping.Imported}
	start := time.Date(2025, 12, 1, 6, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Line = i + 2
		l.Time = start.Add(time.Duration(i) * time.Minute)
		if err := w.Write(l); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// TestControlBytesAreEscaped: an ESC or NUL from a key reaches the report
// as \x1B or \x00, never as the byte; tabs and line breaks stay as CSV
// carries them.
func TestControlBytesAreEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"10\x1b[2J01": `10\x1B[2J01`,
		"a\x00b":      `a\x00b`,
		"=\x07":       `'=\x07`,
		"a\tb":        "a\tb",
		"a\nb":        "\"a\nb\"",
	} {
		if got := string(appendCell(nil, in)); got != want {
			t.Errorf("appendCell(%q) = %q, want %q", in, got, want)
		}
	}
	if got := string(appendField(nil, "x\x1by,z")); got != `"x\x1By,z"` {
		t.Errorf("appendField = %q", got)
	}
}
