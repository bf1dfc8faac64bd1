package mapcheck

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/exitcode"
)

var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func fixture(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// writeConfig writes a config in a temp folder whose source reads a fixture.
func writeConfig(t *testing.T, source string) string {
	t.Helper()
	dir := t.TempDir()
	text := `timezone: UTC
hr:
  url: sqlite://hr.db
  employees: { file: "` + fixture(t, "employees.csv") + `", match: [attendance_no] }
sources:
` + source
	path := filepath.Join(dir, "hrsync.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func check(t *testing.T, source string, o RunOptions) *Document {
	t.Helper()
	cfg, err := config.Load(writeConfig(t, source))
	if err != nil {
		t.Fatal(err)
	}
	o.Config = cfg
	o.Now = func() time.Time { return testNow }
	doc, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func gateSource(t *testing.T) string {
	return `  gate:
    path: "` + fixture(t, "gate.csv") + `"
    mapping:
      employee_key: { column: Emp No }
      time: { column: Date/Time, layout: "02/01/2006 15:04:05" }
      direction: { column: Status, codes: { in: [I], out: [O] } }
      device: { column: Device }
    clock: { floor: 2020-01-01 }
`
}

func field(s *SourceReport, name string) FieldReport {
	for _, f := range s.Fields {
		if f.Field == name {
			return f
		}
	}
	return FieldReport{}
}

func TestGateFindings(t *testing.T) {
	doc := check(t, gateSource(t), RunOptions{})
	if len(doc.Sources) != 1 {
		t.Fatalf("sources = %d", len(doc.Sources))
	}
	s := doc.Sources[0]

	t.Run("detection", func(t *testing.T) {
		f := s.Files[0]
		if f.Encoding != "utf-8" || f.Delimiter != "," || f.HeaderRow != 1 || strings.Join(f.Columns, "|") != "Emp No|Date/Time|Status|Device" {
			t.Fatalf("file = %+v", f)
		}
		if f.Bound["time"] != "Date/Time" || f.Bound["employee_key"] != "Emp No" {
			t.Fatalf("bound = %v", f.Bound)
		}
	})
	t.Run("fields", func(t *testing.T) {
		tm := field(s, "time")
		// 14 rows: 1 impossible date fails; the key parses everywhere.
		if k := field(s, "employee_key"); k.Parsed != 14 || k.Failed != 0 {
			t.Fatalf("employee_key = %+v", k)
		}
		if tm.Failed != 1 || tm.Parsed != 13 || len(tm.Examples) != 1 || tm.Examples[0].Raw != "31/02/2025 08:00:00" || tm.Examples[0].Line != 12 {
			t.Fatalf("time = %+v", tm)
		}
		// the floor and the future rows stop after time; the bad date never reaches direction
		if d := field(s, "direction"); d.Failed != 1 || d.NotReached != 3 || d.Examples[0].Raw != "9" {
			t.Fatalf("direction = %+v", d)
		}
	})
	t.Run("dates", func(t *testing.T) {
		d := s.Dates[0]
		if d.DataSays != "day-first" || d.MappingReading != "day-first" || d.Ambiguous || d.FirstExample == nil || d.FirstExample.Line != 4 {
			t.Fatalf("dates = %+v", d)
		}
	})
	t.Run("directions", func(t *testing.T) {
		got := map[string]string{}
		for _, c := range s.Directions.Codes {
			got[c.Code] = c.Direction
		}
		if got["I"] != "in" || got["O"] != "out" || got["9"] != "not a code (rejected)" || s.Directions.Unknown != 1 {
			t.Fatalf("codes = %+v", s.Directions)
		}
	})
	t.Run("unmapped and near matches", func(t *testing.T) {
		u := s.Unmapped
		if u.Rows != 4 || u.DistinctKeys != 3 || u.Keys[0].Key != "2001@company" || u.Keys[0].Count != 2 {
			t.Fatalf("unmapped = %+v", u)
		}
		k := u.Keys[0]
		if !k.First.Equal(time.Date(2025, 1, 13, 17, 5, 0, 0, time.UTC)) || !k.Last.Equal(time.Date(2025, 1, 14, 8, 0, 0, 0, time.UTC)) || k.FirstLine != 7 {
			t.Fatalf("first/last = %+v", k)
		}
		if k.Near != nil {
			t.Fatalf("2001 has no employee, near = %+v", k.Near)
		}
		var near *NearMatch
		for _, k := range u.Keys {
			if k.Key == "1002@company" {
				near = k.Near
			}
		}
		if near == nil || near.EmployeeID != "E2" || !strings.Contains(near.Fix, `{strip_suffix: "@company"}`) {
			t.Fatalf("near = %+v", near)
		}
		if len(u.Fixes) != 1 || u.Fixes[0].Keys != 2 || u.Fixes[0].Rows != 2 ||
			!strings.Contains(u.Fixes[0].YAML, `employee_key: { column: "Emp No", transform: [{strip_suffix: "@company"}] }`) {
			t.Fatalf("fixes = %+v", u.Fixes)
		}
	})
	t.Run("coverage", func(t *testing.T) {
		c := doc.Coverage
		if c.Active != 4 || c.ActiveWithout != 1 || c.Without[0].ID != "E5" {
			t.Fatalf("coverage = %+v", c)
		}
	})
	t.Run("duplicates, future, floor", func(t *testing.T) {
		if s.Duplicates.Count != 1 || s.Duplicates.Examples[0].Line != 6 || !strings.Contains(s.Duplicates.Examples[0].Reason, "line 5") {
			t.Fatalf("duplicates = %+v", s.Duplicates)
		}
		if s.Future.Count != 1 || s.Future.Examples[0].Line != 14 {
			t.Fatalf("future = %+v", s.Future)
		}
		if s.BeforeFrom.Count != 1 || s.BeforeFrom.Examples[0].Line != 13 {
			t.Fatalf("floor = %+v", s.BeforeFrom)
		}
	})
	t.Run("counts and exit", func(t *testing.T) {
		want := map[string]int64{"would_import": 4, "duplicate": 1, "unmapped": 4, "invalid_time": 2, "future_time": 1, "invalid_row": 1, "inactive": 1}
		for k, v := range want {
			if doc.Counts[k] != v {
				t.Fatalf("counts = %v, want %v", doc.Counts, want)
			}
		}
		if doc.Total != 15-1 || doc.ExitCode != 3 {
			t.Fatalf("total %d exit %d", doc.Total, doc.ExitCode)
		}
	})
	t.Run("text", func(t *testing.T) {
		var b strings.Builder
		if err := WriteText(&b, doc); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"== Source gate ==", "Emp No", "day-first", `"9"`, "2001@company", "strip_suffix", "E5", "duplicates inside the input: 1", "exit 3"} {
			if !strings.Contains(b.String(), want) {
				t.Fatalf("text lacks %q:\n%s", want, b.String())
			}
		}
	})
}

// TestOverlapFinding: map-check counts the rows whose local time fell in
// the daylight-saving overlap, with the rule in the example's reason.
func TestOverlapFinding(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "gate.csv")
	if err := os.WriteFile(path, []byte("Emp,Time\n1001,2024-10-27 02:30:00\n1002,2024-10-27 02:59:59\n1001,2024-10-27 09:00:00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := check(t, `  gate:
    path: "`+path+`"
    timezone: Europe/Paris
    mapping:
      employee_key: { column: Emp }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
`, RunOptions{})
	f := doc.Sources[0].Ambiguous
	if f.Count != 2 || len(f.Examples) != 2 || f.Examples[0].Line != 2 || !strings.Contains(f.Examples[0].Reason, "first occurrence") {
		t.Fatalf("ambiguous = %+v, want 2 rows from line 2 with the rule", f)
	}
	if n := doc.Sources[0].Counts["would_import"]; n != 3 {
		t.Fatalf("counts = %v, want 3 would_import", doc.Sources[0].Counts)
	}
}

func TestDayMonthAmbiguity(t *testing.T) {
	doc := check(t, `  gate:
    path: "`+fixture(t, "ambiguous.csv")+`"
    mapping:
      employee_key: { column: Emp No }
      time: { column: Date/Time, layout: "01/02/2006 15:04" }
`, RunOptions{})
	d := doc.Sources[0].Dates[0]
	if !d.Ambiguous || d.DataSays != "either" || d.MappingReading != "month-first" || !strings.Contains(d.Verdict, "AMBIGUOUS") {
		t.Fatalf("dates = %+v", d)
	}
	if doc.ExitCode != 0 {
		t.Fatalf("exit = %d (%s)", doc.ExitCode, doc.Verdict)
	}
}

func TestGBKChineseHeadersLeadingZeros(t *testing.T) {
	doc := check(t, `  zk:
    path: "`+fixture(t, "gbk.csv")+`"
    format: { encoding: gbk }
    mapping:
      employee_key: { column: 工号 }
      time: { column: 打卡时间, layout: "2006-01-02 15:04:05" }
      direction: { column: 状态, codes: { in: [上班签到], out: [下班签退] } }
      device: { column: 机器号 }
`, RunOptions{})
	s := doc.Sources[0]
	if f := s.Files[0]; f.Encoding != "gbk" || strings.Join(f.Columns, ",") != "工号,姓名,打卡时间,状态,机器号" {
		t.Fatalf("file = %+v", f)
	}
	if s.Unmapped.Rows != 4 || len(s.Unmapped.Fixes) != 1 || !strings.Contains(s.Unmapped.Fixes[0].Transform, "strip_leading_zeros") || s.Unmapped.Fixes[0].Keys != 3 {
		t.Fatalf("unmapped = %+v", s.Unmapped)
	}
	if s.Directions.Codes[0].Code != "上班签到" || s.Directions.Codes[0].Direction != "in" {
		t.Fatalf("codes = %+v", s.Directions.Codes)
	}
	if d := s.Dates[0]; d.DataSays != "either" || d.Ambiguous || strings.Contains(d.Verdict, "MISMATCH") {
		t.Fatalf("dates = %+v", d)
	}
}

func TestUTF16TabSeparatedExport(t *testing.T) {
	doc := check(t, `  vn:
    path: "`+fixture(t, "utf16.txt")+`"
    mapping:
      employee_key: { column: Mã NV }
      time: { column: Thời gian, layout: "1/2/2006 3:04:05 PM" }
      direction: { column: Trạng thái, codes: { in: [Vào], out: [Ra] } }
`, RunOptions{})
	s := doc.Sources[0]
	if f := s.Files[0]; f.Encoding != "utf-16le" || f.Delimiter != "tab" || f.Columns[0] != "Mã NV" {
		t.Fatalf("file = %+v", f)
	}
	if d := s.Dates[0]; d.DataSays != "month-first" || d.MappingReading != "month-first" || d.SecondAbove12 != 4 {
		t.Fatalf("dates = %+v", d)
	}
	if s.Unmapped.Rows != 1 || s.Unmapped.Keys[0].Key != "9999" || doc.Counts["would_import"] != 3 || doc.ExitCode != 3 {
		t.Fatalf("doc = %+v / %+v", doc.Counts, s.Unmapped)
	}
}

func TestMismatchedDayMonthLayout(t *testing.T) {
	doc := check(t, `  gate:
    path: "`+fixture(t, "gate.csv")+`"
    mapping:
      employee_key: { column: Emp No }
      time: { column: Date/Time, layout: "01/02/2006 15:04:05" }
`, RunOptions{})
	if d := doc.Sources[0].Dates[0]; !strings.HasPrefix(d.Verdict, "MISMATCH") {
		t.Fatalf("verdict = %q", d.Verdict)
	}
}

func TestExitCodes(t *testing.T) {
	pct := func(f float64) *float64 { return &f }
	utf16 := `  vn:
    path: "` + fixture(t, "utf16.txt") + `"
    mapping:
      employee_key: { column: Mã NV }
      time: { column: Thời gian, layout: "1/2/2006 3:04:05 PM" }
`
	tests := []struct {
		name   string
		source string
		opt    RunOptions
		want   exitcode.Code
	}{
		{"every row placed", utf16, RunOptions{Sample: 3}, 0},
		{"one unmapped row", utf16, RunOptions{}, 3},
		{"unmapped share 25% within 30%", utf16, RunOptions{MaxUnmappedPercent: pct(30)}, 0},
		{"unmapped share 25% above 20%", utf16, RunOptions{MaxUnmappedPercent: pct(20)}, 3},
		{"other rejects still count under --max-unmapped", gateSource(t), RunOptions{MaxUnmappedPercent: pct(90)}, 3},
		{"a column that is not there", strings.Replace(utf16, "column: Mã NV", "column: Emp No", 1), RunOptions{}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := check(t, tc.source, tc.opt)
			if doc.ExitCode != tc.want {
				t.Fatalf("exit = %d (%s), want %d", doc.ExitCode, doc.Verdict, tc.want)
			}
		})
	}
}

func TestBindErrorIsReported(t *testing.T) {
	doc := check(t, `  vn:
    path: "`+fixture(t, "utf16.txt")+`"
    mapping:
      employee_key: { column: Emp No }
      time: { column: Thời gian, layout: "1/2/2006 3:04:05 PM" }
`, RunOptions{})
	s := doc.Sources[0]
	if !strings.Contains(s.Files[0].BindError, `column "Emp No" not found`) || s.Unreadable.Count != 4 || doc.ExitCode != 2 {
		t.Fatalf("file = %+v unreadable = %+v exit %d", s.Files[0], s.Unreadable, doc.ExitCode)
	}
}

func TestSampleStopsEarly(t *testing.T) {
	doc := check(t, gateSource(t), RunOptions{Sample: 4})
	if doc.Total != 4 || doc.Sample != 4 {
		t.Fatalf("total = %d", doc.Total)
	}
}

func TestReportFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"r.xlsx", "r.csv", "r.jsonl"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			check(t, gateSource(t), RunOptions{ReportPath: path})
			switch filepath.Ext(name) {
			case ".xlsx":
				x, err := excelize.OpenFile(path)
				if err != nil {
					t.Fatal(err)
				}
				defer x.Close()
				if got := strings.Join(x.GetSheetList(), "|"); got != "Summary|Findings|Unmapped keys|Without punches|Failures" {
					t.Fatalf("sheets = %s", got)
				}
				um, _ := x.GetRows("Unmapped keys")
				fl, _ := x.GetRows("Failures")
				sum, _ := x.GetRows("Summary")
				if len(um) != 4 || um[1][1] != "2001@company" || len(fl) != 1+9 || sum[1][0] != "verdict" {
					t.Fatalf("unmapped %d rows, failures %d rows, summary %v", len(um), len(fl), sum[1])
				}
				checkCustomerReady(t, x, path)
			case ".csv":
				f, _ := os.Open(path)
				defer f.Close()
				r := csv.NewReader(f)
				r.FieldsPerRecord = -1
				recs, err := r.ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				n := map[string]int{}
				for _, rec := range recs {
					n[strings.TrimPrefix(rec[0], "\uFEFF")]++
				}
				if n["section"] != 3 || n["unmapped_key"] != 3 || n["failure"] != 9 || n["summary"] < 10 {
					t.Fatalf("sections = %v", n)
				}
			case ".jsonl":
				f, _ := os.Open(path)
				defer f.Close()
				sc := bufio.NewScanner(f)
				sc.Buffer(nil, 1<<20)
				n := map[string]int{}
				for sc.Scan() {
					var v struct{ Type string }
					if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
						t.Fatal(err)
					}
					n[v.Type]++
				}
				if n["summary"] != 1 || n["unmapped_key"] != 3 || n["failure"] != 9 {
					t.Fatalf("types = %v", n)
				}
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, ".map-check-*")); len(leftovers) > 0 {
				t.Fatalf("spool left behind: %v", leftovers)
			}
		})
	}
}

func TestJSONDocument(t *testing.T) {
	doc := check(t, gateSource(t), RunOptions{})
	var b strings.Builder
	if err := WriteJSON(&b, doc); err != nil {
		t.Fatal(err)
	}
	var back Document
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil {
		t.Fatal(err)
	}
	if back.ExitCode != 3 || back.Sources[0].Unmapped.Keys[0].Key != "2001@company" || back.Coverage.ActiveWithout != 1 {
		t.Fatalf("round trip = %+v", back)
	}
}

// checkCustomerReady: every sheet has its header frozen and filterable and
// set column widths, and no cell names a folder of this machine.
func checkCustomerReady(t *testing.T, x *excelize.File, path string) {
	t.Helper()
	for _, sh := range x.GetSheetList() {
		panes, err := x.GetPanes(sh)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: panes %+v %v", sh, panes, err)
		}
		if w, _ := x.GetColWidth(sh, "A"); w < 8 || w == 9.140625 {
			t.Errorf("%s: column A width %v", sh, w)
		}
		rows, _ := x.GetRows(sh)
		for _, row := range rows {
			for _, c := range row {
				if strings.Contains(c, filepath.Dir(fixture(t, "gate.csv"))) || strings.Contains(c, filepath.Dir(path)) {
					t.Errorf("%s: a local path in %q", sh, c)
				}
			}
		}
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	filters := 0
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/tables/table") {
			rc, _ := f.Open()
			body, _ := io.ReadAll(rc)
			rc.Close()
			if strings.Contains(string(body), "<autoFilter") {
				filters++
			}
		}
	}
	if filters != len(x.GetSheetList()) {
		t.Errorf("%d of %d sheets have a filter", filters, len(x.GetSheetList()))
	}
	f, _ := x.GetRows("Findings")
	var found bool
	for _, row := range f {
		found = found || len(row) > 1 && row[1] == "direction code"
	}
	if !found {
		t.Errorf("Findings lacks the direction table: %v", f)
	}
	if w, _ := x.GetRows("Without punches"); len(w) < 2 || w[1][0] != "E5" {
		t.Errorf("Without punches: %v", w)
	}
}
