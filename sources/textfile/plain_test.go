package textfile

import (
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/mapping"
)

// The plain-line path must read every file exactly as encoding/csv alone
// does: the same rows, fields, line numbers and errors.

var plainCases = []string{
	"id,time\n1,2024-03-01 08:00\n2,2024-03-01 09:00\n",
	"id,time\r\n1,2024-03-01 08:00\r\n\r\n2,x\r\r\n",
	"\"id\",\"time\"\n1,a\n2,b\n",                   // quoted header, plain rows
	"id,note\n1,\"two\nlines\"\n2,after\n3,\"x\"\n", // a record over two lines
	"id,note\n1,\"a\r\nb\r\nc\"\r\n2,z\r\n",         // CRLF inside quotes
	"id,note\n1,bare\"quote\n2,ok\n",
	"id,note\n1,\"extra\"quote\n2,ok\n",
	"id,note\n1,ok\n2,\"unterminated\n3,x\n",
	"id,note\n\n \n,,\n\t\n1,x\n",
	"id,note\n1,\xff\n2,ok\n",
	"id,note\n1,\"\xff\"\n2,ok\n",
	"id,note\n1,x\n2,no newline at the end",
	"id,note\n1,x\n2,cr at the end\r",
	"a,b,c\n1,2,3,4\n1\n",
	"a;b\n1;\"2;3\"\n4;5\n",
	"a\n\"\"\n\"\"\"\"\n",
	"only a header",
}

func TestPlainLinesMatchCSV(t *testing.T) {
	for i, data := range plainCases {
		for _, delim := range []string{"", ",", ";"} {
			for _, header := range []bool{true, false} {
				name := fmt.Sprintf("case %d delimiter %q header %v", i, delim, header)
				comparePlainAndCSV(t, name, []byte(data), Options{Delimiter: delim, Header: &header})
			}
		}
	}
}

// TestPlainLinesMatchCSVLarge mixes plain and quoted lines over many
// buffers, so that lines straddle the end of the buffer and csv takes
// turns with nextPlain all through the file.
func TestPlainLinesMatchCSVLarge(t *testing.T) {
	pieces := []string{"1", "2024-03-01 08:00:00", "C/In", " ", "", "\"q\"", "\"a,b\"", "\"x\ny\"", "é", "\r", "bare\"", "\xff", strings.Repeat("z", 300)}
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 1))
		var b strings.Builder
		b.WriteString("AC-No,Time,State,Device\n")
		for b.Len() < 400<<10 {
			n := 1 + rng.IntN(5)
			for j := range n {
				if j > 0 {
					b.WriteByte(',')
				}
				// Mostly plain fields, as real files are; seed 0 is all plain.
				p := pieces[rng.IntN(4)]
				if seed > 0 && rng.IntN(20) == 0 {
					p = pieces[rng.IntN(len(pieces))]
				}
				b.WriteString(p)
			}
			if rng.IntN(10) == 0 {
				b.WriteByte('\r')
			}
			b.WriteByte('\n')
		}
		comparePlainAndCSV(t, fmt.Sprintf("seed %d", seed), []byte(b.String()), Options{Encoding: "utf-8"})
	}
}

// FuzzPlainLines: for any bytes and settings, the plain-line path and
// encoding/csv alone read the same rows.
func FuzzPlainLines(f *testing.F) {
	for i, s := range plainCases {
		f.Add([]byte(s), uint8(i))
	}
	delimiters := []string{"", ",", ";", "tab", "|"}
	encodings := []string{"", "utf-8", "utf-16le", "windows-1252"}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		comparePlainAndCSV(t, "fuzz", data, fuzzOptions(setting, delimiters, encodings))
	})
}

// readOutcome is everything a reader hands out, comparable.
type readOutcome struct {
	OpenErr   string
	Detection Detection
	Rows      []mapping.Row
	ErrTexts  []string // Rows[i].Err as text, as the report shows it
	EndErr    string
}

func readOutcomeOf(t *testing.T, path string, opt Options) readOutcome {
	t.Helper()
	var out readOutcome
	r, err := Open(path, "src", opt)
	if err != nil {
		out.OpenErr = err.Error()
		return out
	}
	defer r.Close()
	out.Detection = r.Detected()
	for range 1 << 20 {
		row, err := r.Next()
		if err != nil {
			if err != io.EOF {
				out.EndErr = err.Error()
			}
			return out
		}
		text := ""
		if row.Err != nil {
			text = row.Err.Error()
		}
		row.Err = nil
		out.Rows = append(out.Rows, row)
		out.ErrTexts = append(out.ErrTexts, text)
	}
	t.Fatal("reader does not end")
	return out
}

func comparePlainAndCSV(t *testing.T, name string, data []byte, opt Options) {
	t.Helper()
	path := writeFile(t, "plain.csv", data)
	got := readOutcomeOf(t, path, opt)
	opt.csvOnly = true
	want := readOutcomeOf(t, path, opt)
	if reflect.DeepEqual(got, want) {
		return
	}
	if got.OpenErr != want.OpenErr || !reflect.DeepEqual(got.Detection, want.Detection) || got.EndErr != want.EndErr {
		t.Fatalf("%s: open %q %+v end %q\ncsv alone: open %q %+v end %q", name, got.OpenErr, got.Detection, got.EndErr, want.OpenErr, want.Detection, want.EndErr)
	}
	for i := range min(len(got.Rows), len(want.Rows)) {
		if !reflect.DeepEqual(got.Rows[i], want.Rows[i]) || got.ErrTexts[i] != want.ErrTexts[i] {
			t.Fatalf("%s: row %d: %+v %q\ncsv alone:  %+v %q", name, i, got.Rows[i], got.ErrTexts[i], want.Rows[i], want.ErrTexts[i])
		}
	}
	t.Fatalf("%s: %d rows, csv alone %d", name, len(got.Rows), len(want.Rows))
}

// TestPlainLinesTakeTurns checks that the path under test is taken: plain
// lines by nextPlain, quoted ones and the one cut by the end of the
// buffer by csv.
func TestPlainLinesTakeTurns(t *testing.T) {
	path := writeFile(t, "turns.csv", []byte("\"id\",\"note\"\n1,a\n2,\"b\nc\"\n\n3,d\n"))
	r, err := Open(path, "src", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var lines []int
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil || row.Err != nil {
			t.Fatal(err, row.Err)
		}
		lines = append(lines, row.Origin.Line)
	}
	if want := []int{2, 3, 6}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
	if r.plainLines != 3 || r.csvLines != 3 {
		t.Errorf("%d plain lines and %d by csv, want 3 and 3", r.plainLines, r.csvLines)
	}
}
