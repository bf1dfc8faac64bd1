package textfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/hrsync/hrsync/mapping"
)

// writeFile writes content to a fresh file in the test's temp dir.
func writeFile(t testing.TB, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAll opens path and collects every row.
func readAll(t testing.TB, path string, opt Options) (Detection, []mapping.Row) {
	t.Helper()
	r, err := Open(path, "src", opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	var rows []mapping.Row
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
	return r.Detected(), rows
}

// gotRow is the comparable part of a row.
type gotRow struct {
	Line   int
	Fields []string
	Err    string // substring expected in Row.Err, "" for none
}

func checkRows(t *testing.T, rows []mapping.Row, want []gotRow) {
	t.Helper()
	if len(rows) != len(want) {
		for _, r := range rows {
			t.Logf("row line %d %q err %v", r.Origin.Line, r.Fields, r.Err)
		}
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r.Origin.Line != w.Line {
			t.Errorf("row %d: line %d, want %d", i, r.Origin.Line, w.Line)
		}
		if w.Fields != nil && !reflect.DeepEqual(r.Fields, w.Fields) {
			t.Errorf("row %d: fields %q, want %q", i, r.Fields, w.Fields)
		}
		switch {
		case w.Err == "" && r.Err != nil:
			t.Errorf("row %d: unexpected error %v", i, r.Err)
		case w.Err != "" && r.Err == nil:
			t.Errorf("row %d: no error, want one containing %q", i, w.Err)
		case w.Err != "" && !strings.Contains(r.Err.Error(), w.Err):
			t.Errorf("row %d: error %q, want it to contain %q", i, r.Err, w.Err)
		}
		if r.Origin.Source != "src" || r.Origin.File == "" {
			t.Errorf("row %d: origin %+v", i, r.Origin)
		}
	}
}

func boolPtr(b bool) *bool { return &b }

func TestDelimitersAndLayouts(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		opt       Options
		delimiter string
		columns   []string
		headerAt  int // checked when not 0
		rows      []gotRow
	}{
		{
			name:      "comma",
			content:   "id,time\n001,2024-03-01 08:00\n002,2024-03-01 09:00\n",
			delimiter: ",", columns: []string{"id", "time"},
			rows: []gotRow{{Line: 2, Fields: []string{"001", "2024-03-01 08:00"}}, {Line: 3, Fields: []string{"002", "2024-03-01 09:00"}}},
		},
		{
			name:      "semicolon with decimal commas",
			content:   "id;hours;rate\n1;7,5;1,25\n2;8,0;1,5\n",
			delimiter: ";", columns: []string{"id", "hours", "rate"},
			rows: []gotRow{{Line: 2, Fields: []string{"1", "7,5", "1,25"}}, {Line: 3, Fields: []string{"2", "8,0", "1,5"}}},
		},
		{
			name:      "tab with spaces inside fields stays tab",
			content:   "Employee Name\tPunch Time\nJohn Smith\t2024-03-01 08:00:00\nAn Nguyen\t2024-03-01 08:01:00\n",
			delimiter: "tab", columns: []string{"Employee Name", "Punch Time"},
			rows: []gotRow{{Line: 2, Fields: []string{"John Smith", "2024-03-01 08:00:00"}}, {Line: 3, Fields: []string{"An Nguyen", "2024-03-01 08:01:00"}}},
		},
		{
			name:      "pipe",
			content:   "id|name|time\n1|A B|08:00\n2|C|09:00\n",
			delimiter: "|", columns: []string{"id", "name", "time"},
			rows: []gotRow{{Line: 2, Fields: []string{"1", "A B", "08:00"}}, {Line: 3, Fields: []string{"2", "C", "09:00"}}},
		},
		{
			name:      "zkteco attlog",
			content:   "        1\t2024-03-01 08:00:05\t1\t0\t1\t0\n      102\t2024-03-01 17:30:59\t1\t1\t1\t0\n",
			delimiter: "whitespace",
			rows: []gotRow{
				{Line: 1, Fields: []string{"1", "2024-03-01 08:00:05", "1", "0", "1", "0"}},
				{Line: 2, Fields: []string{"102", "2024-03-01 17:30:59", "1", "1", "1", "0"}},
			},
		},
		{
			name:      "attlog with a varying number of codes",
			content:   "        1\t2024-03-01 08:00:05\t1\t0\t1\t0\n        2\t2024-03-01 08:00:06\t1\t0\n        3\t2024-03-01 08:00:07\t1\t0\n",
			delimiter: "whitespace",
			rows:      []gotRow{{Line: 1}, {Line: 2}, {Line: 3, Fields: []string{"3", "2024-03-01 08:00:07", "1", "0"}}},
		},
		{
			name:      "attlog without padding, CRLF",
			content:   "123456789\t2024-03-01 08:00:05\t1\t0\t1\t0\r\n123456790\t2024-03-01 08:00:06\t1\t0\t1\t0\r\n",
			delimiter: "whitespace",
			rows: []gotRow{
				{Line: 1, Fields: []string{"123456789", "2024-03-01 08:00:05", "1", "0", "1", "0"}},
				{Line: 2, Fields: []string{"123456790", "2024-03-01 08:00:06", "1", "0", "1", "0"}},
			},
		},
		{
			name:      "space separated with day-first dates and short times",
			content:   "7   01/03/2024 08:00  IN\n8   2024/03/01 17:05  OUT\n",
			delimiter: "whitespace",
			rows: []gotRow{
				{Line: 1, Fields: []string{"7", "01/03/2024 08:00", "IN"}},
				{Line: 2, Fields: []string{"8", "2024/03/01 17:05", "OUT"}},
			},
		},
		{
			name:      "whitespace: a date and time two spaces apart stay apart",
			content:   "7 2024-03-01  08:00 x\n",
			opt:       Options{Delimiter: "whitespace"},
			delimiter: "whitespace",
			rows:      []gotRow{{Line: 1, Fields: []string{"7", "2024-03-01", "08:00", "x"}}},
		},
		{
			name:      "whitespace with header asked for",
			content:   "PIN  Time  State\n1 2024-03-01 08:00:00 0\n",
			opt:       Options{Delimiter: "whitespace", Header: boolPtr(true)},
			delimiter: "whitespace", columns: []string{"PIN", "Time", "State"},
			rows: []gotRow{{Line: 2, Fields: []string{"1", "2024-03-01 08:00:00", "0"}}},
		},
		{
			name:      "explicit tab spelled as a character, no header",
			content:   "a\tb\n",
			opt:       Options{Delimiter: "\t", Header: boolPtr(false)},
			delimiter: "tab",
			rows:      []gotRow{{Line: 1, Fields: []string{"a", "b"}}},
		},
		{
			name:      "header names are trimmed",
			content:   " id , time \n1,2\n",
			delimiter: ",", columns: []string{"id", "time"},
			rows: []gotRow{{Line: 2, Fields: []string{"1", "2"}}},
		},
		{
			name:      "single column",
			content:   "id\n1\n2\n",
			delimiter: ",", columns: []string{"id"},
			rows: []gotRow{{Line: 2, Fields: []string{"1"}}, {Line: 3, Fields: []string{"2"}}},
		},
		{
			name:      "header only",
			content:   "id,time\n",
			delimiter: ",", columns: []string{"id", "time"},
		},
		{
			name:      "blank lines are skipped but counted",
			content:   "\n\nid,time\n\n1,a\n   \n\r\n2,b\n\n",
			delimiter: ",", columns: []string{"id", "time"}, headerAt: 3,
			rows: []gotRow{{Line: 5, Fields: []string{"1", "a"}}, {Line: 8, Fields: []string{"2", "b"}}},
		},
		{
			name:      "blank lines in whitespace mode",
			content:   "\n1 2024-03-01 08:00:00 0\n \t \n2 2024-03-01 09:00:00 1\n",
			delimiter: "whitespace",
			rows:      []gotRow{{Line: 2}, {Line: 4}},
		},
		{
			name:      "quoted fields with delimiters, quotes and newlines",
			content:   "id,note,time\n1,\"a, b\",x\n2,\"line one\nline two\n\"\"three\"\"\",y\n3,plain,z\n",
			delimiter: ",", columns: []string{"id", "note", "time"},
			rows: []gotRow{
				{Line: 2, Fields: []string{"1", "a, b", "x"}},
				{Line: 3, Fields: []string{"2", "line one\nline two\n\"three\"", "y"}},
				{Line: 6, Fields: []string{"3", "plain", "z"}},
			},
		},
		{
			name:      "ragged rows: more fields is an error, fewer is not",
			content:   "a,b,c\n1,2,3\n1,2,3,4\n1,2\n",
			delimiter: ",", columns: []string{"a", "b", "c"},
			rows: []gotRow{
				{Line: 2, Fields: []string{"1", "2", "3"}},
				{Line: 3, Fields: []string{"1", "2", "3", "4"}, Err: "line 3: row has 4 fields, header has 3"},
				{Line: 4, Fields: []string{"1", "2"}},
			},
		},
		{
			name:      "stray quote is reported and reading goes on",
			content:   "a,b\n1,x\"y\n2,\"q\"z\n3,ok\n",
			delimiter: ",", columns: []string{"a", "b"},
			rows: []gotRow{
				{Line: 2, Err: "line 2, column 4: bare \" in non-quoted-field"},
				{Line: 3, Err: "line 3, column 5: extraneous or missing \" in quoted-field"},
				{Line: 4, Fields: []string{"3", "ok"}},
			},
		},
		{
			// The broken line is refused; the lines its quote swallowed
			// are read again, each on its own, with their own numbers.
			name:      "unterminated quote",
			content:   "a,b\n1,ok\n2,\"never closed\n3,x\n4,\"fine\"\n5,y\n",
			delimiter: ",", columns: []string{"a", "b"},
			rows: []gotRow{
				{Line: 2, Fields: []string{"1", "ok"}},
				{Line: 3, Err: "line 3: a quoted field opens here and never closes"},
				{Line: 4, Fields: []string{"3", "x"}},
				{Line: 5, Fields: []string{"4", "fine"}},
				{Line: 6, Fields: []string{"5", "y"}},
			},
		},
		{
			name:      "two unterminated quotes",
			content:   "a,b\n1,\"open\n2,ok\n3,\"open again\n4,z",
			delimiter: ",", columns: []string{"a", "b"},
			rows: []gotRow{
				{Line: 2, Err: "line 2: a quoted field opens here and never closes"},
				{Line: 3, Fields: []string{"2", "ok"}},
				{Line: 4, Err: "line 4: a quoted field opens here and never closes"},
				{Line: 5, Fields: []string{"4", "z"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "in.txt", []byte(tt.content))
			det, rows := readAll(t, path, tt.opt)
			if det.Delimiter != tt.delimiter {
				t.Errorf("delimiter %q, want %q", det.Delimiter, tt.delimiter)
			}
			if !reflect.DeepEqual(det.Columns, tt.columns) {
				t.Errorf("columns %q, want %q", det.Columns, tt.columns)
			}
			if det.Encoding != "utf-8" {
				t.Errorf("encoding %q, want utf-8", det.Encoding)
			}
			if tt.headerAt != 0 && det.HeaderLine != tt.headerAt {
				t.Errorf("header line %d, want %d", det.HeaderLine, tt.headerAt)
			}
			checkRows(t, rows, tt.rows)
			for _, r := range rows {
				if tt.columns != nil && !reflect.DeepEqual(r.Header, tt.columns) {
					t.Errorf("row header %q, want %q", r.Header, tt.columns)
				}
			}
		})
	}
}

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode %q: %v", s, err)
	}
	return b
}

func TestEncodings(t *testing.T) {
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	cat := func(parts ...[]byte) []byte {
		var out []byte
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name     string
		content  []byte
		opt      Options
		encoding string
		columns  []string
		first    []string
	}{
		{
			name:    "utf-8 without BOM",
			content: []byte("工号,打卡时间\n0001,2024-03-01 08:00:05\n"), encoding: "utf-8",
			columns: []string{"工号", "打卡时间"}, first: []string{"0001", "2024-03-01 08:00:05"},
		},
		{
			name:    "utf-8 with BOM",
			content: []byte("\xEF\xBB\xBFid,Mã NV\n1,x\n"), encoding: "utf-8",
			columns: []string{"id", "Mã NV"}, first: []string{"1", "x"},
		},
		{
			name:    "utf-16le with BOM, tab separated (Excel Unicode text)",
			content: cat([]byte{0xFF, 0xFE}, encode(t, utf16le, "工号\t打卡时间\r\n0001\t2024-03-01 08:00:05\r\n")), encoding: "utf-16le",
			columns: []string{"工号", "打卡时间"}, first: []string{"0001", "2024-03-01 08:00:05"},
		},
		{
			name:    "utf-16be with BOM",
			content: cat([]byte{0xFE, 0xFF}, encode(t, utf16be, "id,name\n1,Zoë\n")), encoding: "utf-16be",
			columns: []string{"id", "name"}, first: []string{"1", "Zoë"},
		},
		{
			name:    "utf-16le without BOM is recognised by its zero bytes",
			content: encode(t, utf16le, "id\tname\r\n1\tAnn\r\n"), encoding: "utf-16le",
			columns: []string{"id", "name"}, first: []string{"1", "Ann"},
		},
		{
			name:    "utf-16be declared, BOM present",
			content: cat([]byte{0xFE, 0xFF}, encode(t, utf16be, "id,name\n1,Zoë\n")), opt: Options{Encoding: "utf-16be"}, encoding: "utf-16be",
			columns: []string{"id", "name"}, first: []string{"1", "Zoë"},
		},
		{
			name:    "gbk declared",
			content: encode(t, simplifiedchinese.GBK, "工号,打卡时间\n0001,2024-03-01 08:00:05\n"), opt: Options{Encoding: "gbk"}, encoding: "gbk",
			columns: []string{"工号", "打卡时间"}, first: []string{"0001", "2024-03-01 08:00:05"},
		},
		{
			name:    "gbk as fallback",
			content: encode(t, simplifiedchinese.GBK, "工号,打卡时间\n0001,2024-03-01 08:00:05\n"), opt: Options{Fallback: "GBK"}, encoding: "gbk",
			columns: []string{"工号", "打卡时间"}, first: []string{"0001", "2024-03-01 08:00:05"},
		},
		{
			name:    "gb18030 declared",
			content: encode(t, simplifiedchinese.GB18030, "工号,打卡时间\n0001,2024-03-01 08:00:05\n"), opt: Options{Encoding: "gb18030"}, encoding: "gb18030",
			columns: []string{"工号", "打卡时间"}, first: []string{"0001", "2024-03-01 08:00:05"},
		},
		{
			name:    "big5 declared",
			content: encode(t, traditionalchinese.Big5, "員工編號,打卡時間\n0001,2024-03-01 08:00:05\n"), opt: Options{Encoding: "big5"}, encoding: "big5",
			columns: []string{"員工編號", "打卡時間"}, first: []string{"0001", "2024-03-01 08:00:05"},
		},
		{
			name:    "windows-1252 declared",
			content: encode(t, charmap.Windows1252, "Employé;Heure\nRené;08:00\n"), opt: Options{Encoding: "windows-1252"}, encoding: "windows-1252",
			columns: []string{"Employé", "Heure"}, first: []string{"René", "08:00"},
		},
		{
			name:    "windows-1258 as fallback",
			content: encode(t, charmap.Windows1258, "Ma\u0303 NV,Tên,Đơn\n01,Lê,Kho\n"), opt: Options{Fallback: "windows-1258"}, encoding: "windows-1258",
			columns: []string{"Mã NV", "Tên", "Đơn"}, first: []string{"01", "Lê", "Kho"},
		},
		{
			name:    "a UTF-8 byte-order mark wins over the declared encoding (UTF-8 is checked as read)",
			content: []byte("\xEF\xBB\xBFid,Mã NV\n1,x\n"), opt: Options{Encoding: "windows-1252"}, encoding: "utf-8",
			columns: []string{"id", "Mã NV"}, first: []string{"1", "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "in.csv", tt.content)
			det, rows := readAll(t, path, tt.opt)
			if det.Encoding != tt.encoding {
				t.Errorf("encoding %q, want %q", det.Encoding, tt.encoding)
			}
			if !reflect.DeepEqual(det.Columns, tt.columns) {
				t.Errorf("columns %q, want %q", det.Columns, tt.columns)
			}
			if len(rows) != 1 || !reflect.DeepEqual(rows[0].Fields, tt.first) || rows[0].Err != nil || rows[0].Origin.Line != 2 {
				t.Fatalf("rows %+v, want one row %q on line 2", rows, tt.first)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("id,name\n1,x\n2,工号\n"))
	tests := []struct {
		name    string
		content []byte
		opt     Options
		want    []string
	}{
		{name: "empty file", content: nil, want: []string{"file ", "in.csv is empty"}},
		{name: "only blank lines", content: []byte("\n \r\n\n"), want: []string{"in.csv is empty (only blank lines)"}},
		{name: "only a BOM", content: []byte("\xEF\xBB\xBF"), want: []string{"in.csv is empty"}},
		{name: "undeclared encoding", content: gbk, want: []string{"in.csv: line 3, column 3: byte 0xB9 is not valid UTF-8", "format.encoding", "gbk", "windows-1252"}},
		{name: "unknown encoding", content: []byte("a\n"), opt: Options{Encoding: "ebcdic"}, want: []string{"in.csv: unknown encoding \"ebcdic\""}},
		{name: "unknown delimiter", content: []byte("a\n"), opt: Options{Delimiter: "#"}, want: []string{"unknown delimiter \"#\""}},
		{name: "bad header", content: []byte("a,\"b\n"), want: []string{"in.csv: header: ", "extraneous or missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "in.csv", tt.content)
			r, err := Open(path, "src", tt.opt)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := Open(filepath.Join(t.TempDir(), "nope.csv"), "src", Options{})
		if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.csv") {
			t.Errorf("error %v, want a not-exist error naming the file", err)
		}
	})
}

// TestInvalidUTF8AfterSample checks that bytes the sample did not see are
// reported on their row, not silently replaced.
func TestInvalidUTF8AfterSample(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name\n")
	for b.Len() < 2*sampleSize {
		b.WriteString("1,Zoë\n")
	}
	lines := strings.Count(b.String(), "\n")
	b.WriteString("2,Ren\xE9\n3,ok\n")
	for _, delimiter := range []string{"", "whitespace"} {
		t.Run("delimiter "+delimiter, func(t *testing.T) {
			content := b.String()
			if delimiter == "whitespace" {
				content = strings.ReplaceAll(content, ",", " ")
			}
			path := writeFile(t, "in.csv", []byte(content))
			_, rows := readAll(t, path, Options{Delimiter: delimiter, Header: boolPtr(true)})
			bad, last := rows[len(rows)-2], rows[len(rows)-1]
			want := "line " + strconv.Itoa(lines+1) + ", column 6 (field 2): byte 0xE9 is not valid UTF-8"
			if bad.Err == nil || !strings.Contains(bad.Err.Error(), want) {
				t.Errorf("error %v, want it to contain %q", bad.Err, want)
			}
			if bad.Origin.Line != lines+1 || last.Err != nil || last.Fields[1] != "ok" {
				t.Errorf("bad row %+v, last row %+v", bad.Origin, last)
			}
		})
	}
}

// TestRuneCutBySample puts a three-byte rune across the 64 KiB boundary.
func TestRuneCutBySample(t *testing.T) {
	head := "id,name\n"
	pad := strings.Repeat("x", sampleSize-len(head)-len("1,")-1)
	content := head + "1," + pad + "工\n2,y\n"
	path := writeFile(t, "in.csv", []byte(content))
	det, rows := readAll(t, path, Options{})
	if det.Encoding != "utf-8" || len(rows) != 2 || rows[0].Err != nil || !strings.HasSuffix(rows[0].Fields[1], "工") {
		t.Fatalf("detection %+v, %d rows, first err %v", det, len(rows), rows[0].Err)
	}
}

func TestMegabyteField(t *testing.T) {
	big := strings.Repeat("abcdefghij", 100_000) + "é"
	tests := []struct {
		name    string
		content string
		opt     Options
		field   int
	}{
		{name: "unquoted", content: "id,blob\n1," + big + "\n2,x\n", field: 1},
		{name: "quoted with newlines", content: "id,blob\n1,\"" + big + "\n" + big + "\"\n2,x\n", field: 1,
			opt: Options{MaxLineBytes: 4 << 20}}, // two lines of 1 MB in one record: over the default limit
		{name: "whitespace", content: "1 " + big + "\n2 x\n", opt: Options{Delimiter: "whitespace"}, field: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "big.csv", []byte(tt.content))
			_, rows := readAll(t, path, tt.opt)
			if len(rows) != 2 {
				t.Fatalf("got %d rows, want 2", len(rows))
			}
			if !strings.HasPrefix(rows[0].Fields[tt.field], big) || rows[0].Err != nil {
				t.Errorf("big field has %d bytes, err %v", len(rows[0].Fields[tt.field]), rows[0].Err)
			}
			if rows[1].Fields[0] != "2" || rows[1].Err != nil {
				t.Errorf("second row %+v", rows[1])
			}
		})
	}
}

// TestFieldsAreNotShared guards against handing out csv's reused slice.
func TestFieldsAreNotShared(t *testing.T) {
	path := writeFile(t, "in.csv", []byte("a,b\n1,2\n3,4\n"))
	_, rows := readAll(t, path, Options{})
	if rows[0].Fields[0] != "1" || rows[1].Fields[0] != "3" {
		t.Errorf("rows %q %q", rows[0].Fields, rows[1].Fields)
	}
}

func TestValidNames(t *testing.T) {
	for _, name := range []string{"", "auto", "UTF-8", "utf-16le", "utf-16be", "gb18030", "gbk", "big5", "windows-1252", "windows-1258"} {
		if !ValidEncoding(name) {
			t.Errorf("ValidEncoding(%q) = false", name)
		}
	}
	for _, name := range []string{"latin9", "utf-32"} {
		if ValidEncoding(name) {
			t.Errorf("ValidEncoding(%q) = true", name)
		}
	}
	for _, name := range []string{"", "auto", ",", ";", "\t", "tab", "|", "pipe", "whitespace"} {
		if !ValidDelimiter(name) {
			t.Errorf("ValidDelimiter(%q) = false", name)
		}
	}
	for _, name := range []string{"#", ",;", " "} {
		if ValidDelimiter(name) {
			t.Errorf("ValidDelimiter(%q) = true", name)
		}
	}
}

func TestSplitWhitespace(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"  a  b\t\tc ", []string{"a", "b", "c"}},
		{"1 2024-03-01 08:00:05 x", []string{"1", "2024-03-01 08:00:05", "x"}},
		{"1 2024.3.1 8:00", []string{"1", "2024.3.1 8:00"}},
		{"1 31-12-2024 23:59:59.250", []string{"1", "31-12-2024 23:59:59.250"}},
		{"1 2024-03-01\t08:00", []string{"1", "2024-03-01", "08:00"}},
		{"1 2024-03-01 0800", []string{"1", "2024-03-01", "0800"}},
		{"1 2024-03/01 08:00", []string{"1", "2024-03/01", "08:00"}},
		{"1 24-03-01 08:00", []string{"1", "24-03-01", "08:00"}},
		{"2024-03-01 08:00 09:00", []string{"2024-03-01 08:00", "09:00"}},
		{"1 2024-03-01 08:00:5", []string{"1", "2024-03-01", "08:00:5"}},
	}
	for _, tt := range tests {
		if got := splitWhitespace(tt.line, nil); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitWhitespace(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

// TestUTF16MarkOverUTF8Text: a UTF-16 byte-order mark in front of UTF-8
// text contradicts the declared encoding, and the file fails naming both,
// instead of decoding to one line of noise and "0 rows".
func TestUTF16MarkOverUTF8Text(t *testing.T) {
	path := writeFile(t, "in.csv", append([]byte{0xFF, 0xFE}, "Pin,Time\n1001,2025-12-01 08:00:00\n1002,2025-12-01 09:00:00\n"...))
	_, err := Open(path, "gate", Options{Encoding: "utf-8"})
	if err == nil || !strings.Contains(err.Error(), "utf-16le byte-order mark") || !strings.Contains(err.Error(), "format.encoding says utf-8") {
		t.Fatalf("Open: %v", err)
	}
}
