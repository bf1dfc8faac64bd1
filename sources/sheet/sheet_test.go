package sheet

import (
	"bytes"
	"errors"
	"fmt"

	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// gotRow is a row as the tests compare it.
type gotRow struct {
	Line   int
	Fields []string
	Err    string
}

func readAll(t *testing.T, path string, opt Options) (Detection, []gotRow) {
	t.Helper()
	r, err := Open(path, "test", opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	var rows []gotRow
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if row.Origin.Source != "test" || row.Origin.File != path || row.Origin.Sheet != r.Detected().Sheet {
			t.Errorf("origin %+v", row.Origin)
		}
		if !reflect.DeepEqual(row.Header, r.Detected().Columns) {
			t.Errorf("row header %q, detected %q", row.Header, r.Detected().Columns)
		}
		g := gotRow{Line: row.Origin.Line, Fields: row.Fields}
		if row.Err != nil {
			g.Err = row.Err.Error()
		}
		rows = append(rows, g)
	}
	return r.Detected(), rows
}

var workbookRows = []gotRow{
	{4, []string{"E1001", "Asha Rao", "2025-12-01", "08:01:02", "C/In", "3"}, ""},
	{5, []string{"00123", "Ben Okafor", "2025-12-01", "17:30:59", "C/Out", "1234567.25"}, ""},
	{7, []string{"123", "Chen Li", "2025-12-02", "09:00:00", "C/In", "#N/A"}, "error cell Punches!F7: #N/A"},
	{8, []string{"12345678901", "TRUE", "2025-12-02 18:45:00", "", "C/Out", "#DIV/0!"}, "error cell Punches!F8: #DIV/0!"},
}

// TestLibreOfficeWorkbook reads the same workbook saved as .xlsx and .xls
// by LibreOffice, also under the other format's name: hidden first sheet,
// title and blank rows above the header, dates, times, formulas, errors.
func TestLibreOfficeWorkbook(t *testing.T) {
	for _, tc := range []struct{ file, format string }{
		{"workbook.xlsx", "xlsx"},
		{"workbook.xls", "xls"},
		{"misnamed-xls.xlsx", "xls"},
		{"misnamed-xlsx.xls", "xlsx"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			det, rows := readAll(t, path, Options{})
			want := Detection{
				File: path, Format: tc.format, Sheet: "Punches",
				Sheets:    []string{"Setup", "Punches", "Second", "Empty"},
				HeaderRow: 3, Columns: []string{"Emp No", "Name", "Date", "Time", "Status", "Hours"},
			}
			if !reflect.DeepEqual(det, want) {
				t.Errorf("detected\n %+v, want\n %+v", det, want)
			}
			if !reflect.DeepEqual(rows, workbookRows) {
				t.Errorf("rows\n %+v\nwant\n %+v", rows, workbookRows)
			}
		})
	}
}

func TestCSVImportedByLibreOffice(t *testing.T) {
	want := []gotRow{
		{4, []string{"81", "Dev Patel", "2025-12-01", "08:02:11", "C/In"}, ""},
		{5, []string{"E1002", "Eva Novak", "2025-12-01", "08:15:00", "C/In"}, ""},
		{6, []string{"81", "Dev Patel", "2025-12-01", "17:05:43", "C/Out"}, ""},
	}
	for _, file := range []string{"export.xlsx", "export.xls"} {
		t.Run(file, func(t *testing.T) {
			det, rows := readAll(t, filepath.Join("testdata", file), Options{})
			if det.HeaderRow != 3 || det.Sheet != "export" {
				t.Errorf("detected %+v", det)
			}
			if !reflect.DeepEqual(rows, want) {
				t.Errorf("rows\n %+v\nwant\n %+v", rows, want)
			}
		})
	}
}

func TestDate1904(t *testing.T) {
	for _, file := range []string{"date1904.xlsx", "date1904.xls"} {
		t.Run(file, func(t *testing.T) {
			_, rows := readAll(t, filepath.Join("testdata", file), Options{})
			want := []gotRow{{2, []string{"E1", "2025-12-01 08:00:30"}, ""}}
			if !reflect.DeepEqual(rows, want) {
				t.Errorf("rows %+v, want %+v", rows, want)
			}
		})
	}
}

func TestExamplePunches(t *testing.T) {
	det, rows := readAll(t, "../../examples/spreadsheet/punches.xlsx", Options{HeaderHints: []string{"emp no", "DATE", " Time ", "Status"}})
	if det.HeaderRow != 3 || !reflect.DeepEqual(det.Columns, []string{"Emp No", "Name", "Date", "Time", "Status"}) {
		t.Errorf("detected %+v", det)
	}
	if len(rows) != 48 {
		t.Fatalf("%d rows, want 48", len(rows))
	}
	first := gotRow{4, []string{"E1002", "Ben Okafor", "2025-12-01", "08:01:04", "C/In"}, ""}
	if !reflect.DeepEqual(rows[0], first) {
		t.Errorf("first row %+v, want %+v", rows[0], first)
	}
}

func TestSheetAndHeaderOptions(t *testing.T) {
	no := false
	second := []gotRow{{2, []string{"B-7", "2025-12-03 07:59:00"}, ""}}
	for _, tc := range []struct {
		name      string
		opt       Options
		sheet     string
		headerRow int
		first     gotRow
	}{
		{"by name", Options{Sheet: "Second"}, "Second", 1, second[0]},
		{"by name, other case", Options{Sheet: " second"}, "Second", 1, second[0]},
		{"by index", Options{SheetIndex: 3}, "Second", 1, second[0]},
		{"hidden sheet by name", Options{Sheet: "Setup"}, "Setup", 1, gotRow{2, []string{"device", "7"}, ""}},
		{"header row given", Options{HeaderRow: 3}, "Punches", 3, workbookRows[0]},
		{"header hints", Options{HeaderHints: []string{"STATUS", "emp no"}}, "Punches", 3, workbookRows[0]},
		{"no header", Options{Header: &no}, "Punches", 0, gotRow{1, []string{"Attendance report December 2025"}, ""}},
		{"header row past the title", Options{HeaderRow: 4}, "Punches", 4, gotRow{5, []string{"00123", "Ben Okafor", "2025-12-01", "17:30:59", "C/Out", "1234567.25"}, ""}},
	} {
		for _, file := range []string{"workbook.xlsx", "workbook.xls"} {
			t.Run(tc.name+"/"+file, func(t *testing.T) {
				det, rows := readAll(t, filepath.Join("testdata", file), tc.opt)
				if det.Sheet != tc.sheet || det.HeaderRow != tc.headerRow {
					t.Errorf("sheet %q header row %d, want %q %d", det.Sheet, det.HeaderRow, tc.sheet, tc.headerRow)
				}
				if len(rows) == 0 || !reflect.DeepEqual(rows[0], tc.first) {
					t.Errorf("first row %+v, want %+v", rows, tc.first)
				}
			})
		}
	}
}

// writeWorkbook saves a workbook made with excelize into a temp dir.
func writeWorkbook(t *testing.T, name string, build func(f *excelize.File), opts ...excelize.Options) string {
	t.Helper()
	f := excelize.NewFile()
	build(f)
	path := filepath.Join(t.TempDir(), name)
	if err := f.SaveAs(path, opts...); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	encrypted := writeWorkbook(t, "locked.xlsx", func(f *excelize.File) {
		f.SetCellValue("Sheet1", "A1", "secret")
	}, excelize.Options{Password: "pw"})
	blank := writeWorkbook(t, "blank.xlsx", func(f *excelize.File) {
		f.NewSheet("Other")
	})
	onlyTitle := writeWorkbook(t, "title.xlsx", func(f *excelize.File) {
		f.SetCellValue("Sheet1", "A1", "Attendance report")
	})
	for _, tc := range []struct {
		name, path string
		opt        Options
		want       []string
	}{
		{"truncated xlsx", "testdata/truncated.xlsx", Options{}, []string{"damaged or truncated"}},
		{"truncated xls", "testdata/truncated.xls", Options{}, []string{"damaged or truncated"}},
		{"password-protected xlsx", encrypted, Options{}, []string{"password-protected"}},
		{"no data", blank, Options{}, []string{"no data", `"Sheet1"`, `"Other"`}},
		{"no header", onlyTitle, Options{}, []string{"no header row"}},
		{"empty file", write("empty.xlsx", ""), Options{}, []string{"empty"}},
		{"text file", write("punches.xls", "Emp,Time\n1,2\n"), Options{}, []string{"a text file"}},
		{"html page without a table", write("report.xls", "<HTML><body><p>No records</p></body></HTML>"), Options{}, []string{"HTML page without a <table>"}},
		{"binary junk", write("junk.xlsx", "\x00\x01\x02\xff\xfe"), Options{}, []string{"not an Excel workbook"}},
		{"missing file", filepath.Join(dir, "nope.xlsx"), Options{}, []string{"no such file"}},
		{"missing sheet", "testdata/workbook.xlsx", Options{Sheet: "Nope"}, []string{`no sheet named "Nope"`, `1 "Setup" (hidden)`, `2 "Punches"`}},
		{"missing sheet xls", "testdata/workbook.xls", Options{Sheet: "Nope"}, []string{`no sheet named "Nope"`, `4 "Empty"`}},
		{"sheet index too big", "testdata/workbook.xlsx", Options{SheetIndex: 9}, []string{"no sheet number 9", `"Second"`}},
		{"empty sheet", "testdata/workbook.xls", Options{Sheet: "Empty"}, []string{"sheet Empty", "empty"}},
		{"hints not found", "testdata/workbook.xlsx", Options{HeaderHints: []string{"Emp No", "Badge"}}, []string{`"Emp No", "Badge"`}},
		{"header row empty", "testdata/workbook.xlsx", Options{HeaderRow: 2}, []string{"header row 2 is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(tc.path, "test", tc.opt)
			if err == nil {
				r.Close()
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range append([]string{tc.path}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}
}

// TestGeneratedXLSX covers what other programs write: rows that only carry
// a style (reported as rows but empty), trailing empty cells, booleans,
// inline strings, custom date formats and numbers that must not turn into
// exponents.
func TestGeneratedXLSX(t *testing.T) {
	path := writeWorkbook(t, "gen.xlsx", func(f *excelize.File) {
		dt, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr(`dd"/"mm"/"yyyy\ hh:mm:ss`)})
		tm, _ := f.NewStyle(&excelize.Style{NumFmt: 21})
		money, _ := f.NewStyle(&excelize.Style{CustomNumFmt: ptr(`"Hours" #,##0.00;[Red]-0.00`)})
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		styled := func(style int, v any) excelize.Cell { return excelize.Cell{StyleID: style, Value: v} }
		rows := map[int][]any{
			1: {"Badge", "When", "At", "Late", "Amount"},
			2: {"X1", styled(dt, 46000.5), styled(tm, 0.25), true, styled(money, 1e20)},
			// Rows 3-5 carry a style and no value: other programs write
			// such rows down to row 1,048,576.
			3: {styled(dt, nil), styled(dt, nil)},
			4: {nil, styled(tm, nil)},
			5: {styled(dt, nil)},
			// The styled empty cell in G is trimmed.
			6:       {"X2", styled(dt, 46001.99999999), styled(tm, 0.99999999), false, 0.1 + 0.2, nil, styled(tm, nil)},
			1048576: {"last"},
		}
		for _, n := range []int{1, 2, 3, 4, 5, 6, 1048576} {
			if err := sw.SetRow(cellRef(1, n), rows[n]); err != nil {
				t.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			t.Fatal(err)
		}
	})
	det, rows := readAll(t, path, Options{})
	if det.HeaderRow != 1 {
		t.Errorf("detected %+v", det)
	}
	want := []gotRow{
		{2, []string{"X1", "2025-12-09 12:00:00", "06:00:00", "TRUE", "100000000000000000000"}, ""},
		{6, []string{"X2", "2025-12-11 00:00:00", "1900-01-01 00:00:00", "FALSE", "0.3"}, ""},
		{1048576, []string{"last", "", "", "", ""}, ""},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n %+v\nwant\n %+v", rows, want)
	}
}

// TestHeaderDetection: title rows of one or two cells over the header, and
// a merged header cell over two columns of data.
func TestHeaderDetection(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rows      [][]any
		headerRow int
		columns   []string
	}{
		{"two-cell title", [][]any{{"Report", "December 2025"}, nil, {"Emp", "Date", "Time"}, {"E1", "x", "y"}}, 3, []string{"Emp", "Date", "Time"}},
		{"merged header cell", [][]any{{"Punches"}, {"Emp", "Punch"}, {"E1", 46000.25, 46000.75}}, 2, []string{"Emp", "Punch", "Column C"}},
		{"gap in header", [][]any{{"Emp", nil, "Time"}, {"E1", 1, 2}}, 1, []string{"Emp", "Column B", "Time"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeWorkbook(t, "h.xlsx", func(f *excelize.File) {
				for i, row := range tc.rows {
					if err := f.SetSheetRow("Sheet1", cellRef(1, i+1), &row); err != nil {
						t.Fatal(err)
					}
				}
				f.MergeCell("Sheet1", "B2", "C2")
			})
			det, _ := readAll(t, path, Options{})
			if det.HeaderRow != tc.headerRow || !reflect.DeepEqual(det.Columns, tc.columns) {
				t.Errorf("header row %d %q, want %d %q", det.HeaderRow, det.Columns, tc.headerRow, tc.columns)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestFormatDateStyle(t *testing.T) {
	for _, tc := range []struct {
		code string
		want dateStyle
	}{
		{"General", notDate},
		{"0.00", notDate},
		{"#,##0", notDate},
		{"@", notDate},
		{"0.00E+00", notDate},
		{`"Hours" #,##0.00;[Red]-0.00`, notDate},
		{`[Red]0;"days"`, notDate},
		{`\d0`, notDate},
		{`_-* #,##0_-`, notDate},
		{"yyyy-mm-dd", dateOnly},
		{"DD/MM/YYYY", dateOnly},
		{"mmm-yy", dateOnly},
		{"[$-409]d-mmm-yy;@", dateOnly},
		{"hh:mm:ss", timeOnly},
		{"h:mm AM/PM", timeOnly},
		{"[h]:mm:ss", timeOnly},
		{"mm:ss", timeOnly},
		{"[ss]", timeOnly},
		{"dd/mm/yyyy hh:mm", dateAndTime},
		{"yyyy-mm-dd\\ hh:mm:ss", dateAndTime},
		{`m/d/yy h:mm;@`, dateAndTime},
	} {
		if got := formatDateStyle(tc.code); got != tc.want {
			t.Errorf("formatDateStyle(%q) = %d, want %d", tc.code, got, tc.want)
		}
	}
}

func TestSerialText(t *testing.T) {
	const second = 1.0 / 86400
	for _, tc := range []struct {
		serial float64
		style  dateStyle
		d1904  bool
		want   string
	}{
		{45992, dateOnly, false, "2025-12-01"},
		{45992, dateAndTime, false, "2025-12-01 00:00:00"},
		{45992.5, dateOnly, false, "2025-12-01 12:00:00"}, // a time hidden by the format is kept
		{45992 + 8*3600*second + 0.4*second, dateAndTime, false, "2025-12-01 08:00:00"},
		{45992 + 8*3600*second + 0.6*second, dateAndTime, false, "2025-12-01 08:00:01"},
		{45992 - 0.3*second, dateAndTime, false, "2025-12-01 00:00:00"}, // rounds up over midnight
		{0.5, timeOnly, false, "12:00:00"},
		{0.5, dateAndTime, false, "12:00:00"},
		{1 - 0.2*second, timeOnly, false, "1900-01-01 00:00:00"},
		{1.25, timeOnly, false, "1900-01-01 06:00:00"},
		{59, dateOnly, false, "1900-02-28"},
		{61, dateOnly, false, "1900-03-01"},
		{44530, dateOnly, true, "2025-12-01"},
	} {
		got, ok := serialText(tc.serial, tc.style, tc.d1904)
		if !ok || got != tc.want {
			t.Errorf("serialText(%v, %d, %v) = %q %v, want %q", tc.serial, tc.style, tc.d1904, got, ok, tc.want)
		}
	}
	for _, bad := range []float64{-1, 3e6} {
		if got, ok := serialText(bad, dateOnly, false); ok {
			t.Errorf("serialText(%v) = %q, want not a date", bad, got)
		}
	}
}

func TestNumberText(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{123, "123"}, {1.23e2, "123"}, {123.0, "123"}, {-0.0, "0"}, {0.1 + 0.2, "0.3"},
		{1234567.25, "1234567.25"}, {12345678901, "12345678901"}, {1e20, "100000000000000000000"},
		{1.5e-7, "0.00000015"}, {-42.5, "-42.5"},
	} {
		if got := numberText(tc.v); got != tc.want {
			t.Errorf("numberText(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestColumnNames(t *testing.T) {
	for col, want := range map[int]string{1: "A", 26: "Z", 27: "AA", 52: "AZ", 703: "AAA", 16384: "XFD"} {
		if got := columnName(col); got != want {
			t.Errorf("columnName(%d) = %q, want %q", col, got, want)
		}
	}
	if got := sheetRef("My Sheet's"); got != "'My Sheet''s'" {
		t.Errorf("sheetRef = %q", got)
	}
}

// TestStickyError: after a read error Next keeps returning it.
func TestNextAfterEOF(t *testing.T) {
	r, err := Open("testdata/date1904.xls", "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i := 0; i < 3; i++ {
		_, err = r.Next()
	}
	if !errors.Is(err, io.EOF) {
		t.Errorf("third Next: %v, want io.EOF", err)
	}

}

// TestCorruptedFixtures damages the fixtures byte by byte: every variant
// must give rows or an error naming the file, never a panic or a hang.
func TestCorruptedFixtures(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"workbook.xlsx", "workbook.xls"} {
		orig, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 200; i++ {
			data := append([]byte(nil), orig...)
			if i < 150 {
				pos := (i*7919 + 13) % len(data)
				data[pos] ^= 0x5A
				data[(pos*31+5)%len(data)] ^= 0xFF
			} else {
				data = data[:len(data)*(i-150)/50] // cut short
			}
			path := filepath.Join(dir, fmt.Sprintf("%d-%s", i, name))
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(path, "test", Options{})
			if err != nil {
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error does not name the file: %v", err)
				}
				continue
			}
			for {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					if !strings.Contains(err.Error(), path) {
						t.Errorf("error does not name the file: %v", err)
					}
					break
				}
			}
			r.Close()
		}
	}
}

// TestXLSGlobals checks the records read from the workbook globals on
// hand-made streams: FILEPASS (an encrypted .xls, which LibreOffice's
// command line cannot write) and an old BIFF version.
func TestXLSGlobals(t *testing.T) {
	rec := func(id uint16, body ...byte) []byte {
		return append([]byte{byte(id), byte(id >> 8), byte(len(body)), byte(len(body) >> 8)}, body...)
	}
	bof := func(vers uint16) []byte { return rec(recBOF, byte(vers), byte(vers>>8), 5, 0, 0, 0, 0, 0) }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name   string
		stream []byte
		want   string
	}{
		{"encrypted", join(bof(0x0600), rec(recFilePass, 1, 0, 1, 0), rec(recEOF)), "password-protected"},
		{"BIFF5", join(bof(0x0500), rec(recEOF)), "Excel 5.0/95"},
		{"cut short", join(bof(0x0600), rec(recDateMode, 1, 0))[:10], "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &xlsBook{stream: tc.stream}
			err := b.readGlobals()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("readGlobals: %v, want %q", err, tc.want)
			}
		})
	}
	b := &xlsBook{stream: join(bof(0x0600), rec(recDateMode, 1, 0), rec(recEOF))}
	if err := b.readGlobals(); err != nil || !b.date1904 {
		t.Errorf("DATEMODE: err %v, date1904 %v", err, b.date1904)
	}
}
