package mapcheck

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources"
)

// shape is one export as customers send it (testdata/shapes, made by
// gen.go there), with the source a consultant would write for it. draft is
// the source without a mapping, what --suggest starts from; mapping is the
// consultant's mapping.
// leftOut is a field suggest may leave out when it says so (and why) in
// its YAML; such a shape is "said so", not "right".
type shape struct {
	name, dir, draft, mapping string
	leftOut                   string
}

func shapes() []shape {
	return []shape{
		{"attlog", "employees.csv", `path: attlog.dat`, `
    format: { header: false }
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
      direction: { column: 4, codes: { in: ["0"], out: ["1"], overtime_in: ["4"], unknown: ["255"] } }
      device: { column: 3 }`, ""},
		{"zk_english", "employees.csv", `path: zk-english.csv`, `
    mapping:
      employee_key: { column: "No." }
      time: { column: "Date/Time", layout: "02/01/2006 15:04:05" }
      direction: { column: Status, codes: { in: ["C/In"], out: ["C/Out"] } }
      device: { column: "Location ID" }`, ""},
		{"zk_chinese_gbk", "employees.csv", `path: zk-chinese-gbk.txt`, `
    format: { encoding: gbk }
    mapping:
      employee_key: { column: "考勤号码" }
      time: { column: "日期时间", layout: "2006/1/2 15:04:05" }
      direction: { column: "状态", codes: { in: ["上班签到"], out: ["下班签退"] } }
      device: { column: "机器号" }`, ""},
		{"zk_card_report", "employees.csv", `path: zk-card-report.csv`, `
    mapping:
      employee_key: { column: "工号" }
      date: { column: "刷卡日期", layout: "2006-01-02" }
      time: { column: "刷卡时间", layout: "15:04:05" }
      device: { column: "机器号" }`, ""},
		{"glg", "employees.csv", `path: glg.txt`, `
    mapping:
      employee_key: { column: EnNo, transform: [strip_leading_zeros] }
      time: { column: DateTime, layout: "2006/01/02 15:04:05" }
      direction: { column: In/Out, codes: { in: ["0"], out: ["1"] } }
      device: { column: TMNo }`, ""},
		{"wps_cn", "employees.csv", `path: wps-cn.xlsx`, `
    mapping:
      employee_key: { column: "人员编号" }
      time: { column: "打卡时间", layout: "2006-01-02 15:04:05" }
      direction: { column: "打卡类型", codes: { in: ["上班"], out: ["下班"] } }
      device: { column: "设备名称" }`, ""},
		{"excel_resave", "employees.csv", `path: excel-resave.xlsx`, `
    mapping:
      employee_key: { column: Emp ID }
      date: { column: Date, layout: "2006-01-02" }
      time: { column: Time, layout: "15:04:05" }
      direction: { column: In/Out, codes: { in: [IN], out: [OUT] } }
      device: { column: Terminal }`, ""},
		{"biotime", "employees.csv", `path: biotime.csv`, `
    mapping:
      employee_key: { column: Employee ID }
      time: { column: Punch Time, layout: "2006-01-02 15:04:05" }
      direction: { column: Punch State, codes: { in: [Check In], out: [Check Out] } }
      device: { column: Serial Number }`, ""},
		{"vn_utf16", "employees.csv", `path: vn-utf16.txt`, `
    mapping:
      employee_key: { column: "Mã NV" }
      date: { column: "Ngày", layout: "02/01/2006" }
      time: { column: "Giờ", layout: "15:04" }
      direction: { column: "Vào/Ra", codes: { in: ["Vào"], out: ["Ra"] } }
      device: { column: "Máy" }`, ""},
		{"vn_1258", "employees.csv", `path: vn-1258.csv`, `
    format: { encoding: windows-1258 }
    mapping:
      employee_key: { column: "Mã chấm công" }
      time: { column: "Thời gian", layout: "02/01/2006 15:04:05" }
      direction: { column: "Trạng thái", codes: { in: ["Vào"], out: ["Ra"] } }
      device: { column: "Số máy" }`, ""},
		{"zk_database", "employees.csv", `url: "sqlite://zk.db"
    query: "SELECT c.USERID, u.BADGENUMBER, c.CHECKTIME, c.CHECKTYPE, c.VERIFYCODE, c.SENSORID, c.WorkCode FROM CHECKINOUT c LEFT JOIN USERINFO u ON u.USERID = c.USERID"`, `
    mapping:
      employee_key: { column: BADGENUMBER }
      time: { column: CHECKTIME, layout: "2006-01-02 15:04:05" }
      direction: { column: CHECKTYPE, codes: { in: [I], out: [O] } }
      device: { column: SENSORID }`, ""},
		{"suffix_padded", "employees-padded.csv", `path: suffix-padded.csv`, `
    mapping:
      employee_key: { column: Emp No, transform: [{strip_suffix: "@acmevn"}, {regex: {pattern: "^", replace: "00"}}] }
      time: { column: Date/Time, layout: "2006-01-02 15:04:05" }
      direction: { column: Status, codes: { in: [I], out: [O] } }
      device: { column: Device }`, ""},
		{"header_extra", "employees.csv", `path: header-extra.txt`, `
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
      direction: { column: 3, codes: { in: ["0"], out: ["1"] } }
      device: { column: 4 }`, "device"},
	}
}

// shapeConfig writes a config in dir whose one source is body.
func shapeConfig(t *testing.T, dir string, s shape, sourcesYAML string) string {
	t.Helper()
	text := "timezone: UTC\nhr:\n  url: sqlite://hr.db\n  employees: { file: \"" + fixture(t, filepath.Join("shapes", s.dir)) + "\", match: [attendance_no] }\n" + sourcesYAML
	path := filepath.Join(dir, "hrsync.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// shapeDir is a folder holding the shape's export (and, for the database
// shape, the database the test builds from its SQL).
func shapeDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	entries, err := os.ReadDir(fixture(t, "shapes"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(fixture(t, "shapes"), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "zk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	script, _ := os.ReadFile(filepath.Join(dir, "zk-att2000.sql"))
	if _, err := db.Exec(string(script)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// rowRecorder keeps every row's outcome.
type rowRecorder struct {
	mu    sync.Mutex
	lines []string
	// blank is a field left out of the comparison (shape.leftOut).
	blank string
}

func (r *rowRecorder) File(sources.Detection, *mapping.Binding, error) {}
func (r *rowRecorder) Row(_ *mapping.Row, _ *mapping.Punch, l *report.Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	why := ""
	if l.Outcome == mapping.InvalidRow {
		why, _, _ = strings.Cut(l.Reason, ":")
	}
	dev, dir := l.Device, l.Direction
	switch r.blank {
	case mapping.FieldDevice:
		dev = ""
	case mapping.FieldDirection:
		dir = ""
	}
	r.lines = append(r.lines, fmt.Sprintf("line %d: %s %s %s %s %s %s", l.Line, l.Outcome, l.EmployeeID, l.Time.UTC().Format("2006-01-02 15:04:05"), dir, dev, why))
}

func outcomes(t *testing.T, cfgPath string, blank ...string) ([]string, error) {
	t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	rec := &rowRecorder{}
	if len(blank) > 0 {
		rec.blank = blank[0]
	}
	if _, err := importer.Import(context.Background(), importer.Options{Config: cfg, DryRun: true, NoState: true, Observer: rec}); err != nil {
		return nil, err
	}
	sort.Strings(rec.lines)
	return rec.lines, nil
}

// TestShapes pastes what --suggest prints, unedited, into a config and
// checks that every row of every export ends exactly as the consultant's
// mapping places it; a shape may instead leave one field out, if its YAML
// says so, and then every row must match on the other fields.
func TestShapes(t *testing.T) {
	right := 0
	var wrong, saidSo []string
	for _, s := range shapes() {
		ok := t.Run(s.name, func(t *testing.T) {
			dir := shapeDir(t)
			consultant := shapeConfig(t, dir, s, "sources:\n  "+s.name+":\n    "+s.draft+s.mapping+"\n")
			want, err := outcomes(t, consultant)
			if err != nil {
				t.Fatalf("consultant mapping: %v", err)
			}
			res, err := Suggest(context.Background(), SuggestOptions{ConfigPath: shapeConfig(t, dir, s, "sources:\n  "+s.name+":\n    "+s.draft+"\n"), ConfigGiven: true})
			if err != nil {
				t.Fatalf("suggest: %v", err)
			}
			got, err := outcomes(t, shapeConfig(t, dir, s, res.YAML))
			if err != nil {
				t.Fatalf("suggested config: %v\n%s", err, res.YAML)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") && s.leftOut != "" {
				if !strings.Contains(res.YAML, s.leftOut+": is left out") {
					t.Fatalf("%s left out without saying so:\n%s", s.leftOut, res.YAML)
				}
				want, _ = outcomes(t, consultant, s.leftOut)
				got, _ = outcomes(t, shapeConfig(t, dir, s, res.YAML), s.leftOut)
				saidSo = append(saidSo, s.name)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				diff := 0
				for i := range want {
					if i < len(got) && got[i] != want[i] {
						if diff < 3 {
							t.Errorf("want %s\n got %s", want[i], got[i])
						}
						diff++
					}
				}
				t.Fatalf("%d of %d rows differ (got %d rows)\n%s", diff, len(want), len(got), res.YAML)
			}
		})
		switch {
		case !ok:
			wrong = append(wrong, s.name)
		case len(saidSo) == 0 || saidSo[len(saidSo)-1] != s.name:
			right++
		}
	}
	t.Logf("suggest places every row right on %d of %d shapes; leaves a field out and says so on %v; wrong: %v", right, len(shapes()), saidSo, wrong)
}

// TestFooterIsInvalidRow: the record-count line under a Chinese card report
// is a footer, not bad data.
func TestFooterIsInvalidRow(t *testing.T) {
	s := shapes()[3]
	dir := shapeDir(t)
	lines, err := outcomes(t, shapeConfig(t, dir, s, "sources:\n  "+s.name+":\n    "+s.draft+s.mapping+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	last := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "line 66:") {
			last = l
		}
	}
	if !strings.HasPrefix(last, "line 66: invalid_row") || !strings.HasSuffix(last, " footer") {
		t.Fatalf("footer line: %q", last)
	}
}

func runShape(t *testing.T, s shape, mapping string) *Document {
	t.Helper()
	dir := shapeDir(t)
	cfg, err := config.Load(shapeConfig(t, dir, s, "sources:\n  "+s.name+":\n    "+s.draft+mapping+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Run(context.Background(), RunOptions{Config: cfg, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSuspicions: the GLG download mapped as the old --suggest did (the
// constant TMNo as the key, the verify Mode as the direction) places every
// row, and map-check still fails, naming each field to check.
func TestSuspicions(t *testing.T) {
	doc := runShape(t, shapes()[4], `
    mapping:
      employee_key: { column: TMNo }
      time: { column: DateTime, layout: "2006/01/02 15:04:05" }
      direction: { column: Mode, codes: { out: ["1"] } }
      device: { column: GMNo }`)
	if doc.ExitCode != exitcode.Rejected {
		t.Fatalf("exit %d: %s", doc.ExitCode, doc.Verdict)
	}
	var fields []string
	for _, s := range doc.Sources[0].Suspicions {
		fields = append(fields, s.Field)
	}
	if strings.Join(fields, ",") != "employee_key,direction,device" || !strings.Contains(doc.Sources[0].Suspicions[0].Message, "E1 receives") {
		t.Fatalf("suspicions %+v", doc.Sources[0].Suspicions)
	}
	// The consultant's mapping has none of them (its device is one clock, TMNo).
	doc = runShape(t, shapes()[4], strings.Replace(shapes()[4].mapping, "device: { column: TMNo }", "device: { value: G1 }", 1))
	if doc.ExitCode != exitcode.OK || len(doc.Sources[0].Suspicions) != 0 {
		t.Fatalf("exit %d: %s %+v", doc.ExitCode, doc.Verdict, doc.Sources[0].Suspicions)
	}
}

// TestOnTheHourAndSameSecondPairs: times all on the hour are a finding on
// time; an in and an out of one employee in one minute-precision second are
// reported as pairs.
func TestOnTheHourAndSameSecondPairs(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Emp,Time,IO\n")
	for i := 0; i < 24; i++ {
		fmt.Fprintf(&b, "%d,2024-01-0%d %02d:00,%s\n", 1+i%12, 2+i/12, 6+i%12, []string{"I", "O"}[i%2])
	}
	b.WriteString("3,2024-01-05 08:00,I\n3,2024-01-05 08:00,O\n")
	if err := os.WriteFile(filepath.Join(dir, "hours.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(shapeConfig(t, dir, shape{dir: "employees.csv"}, `sources:
  hours:
    path: hours.csv
    mapping:
      employee_key: { column: Emp }
      time: { column: Time, layout: "2006-01-02 15:04" }
      direction: { column: IO, codes: { in: [I], out: [O] } }
`))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Run(context.Background(), RunOptions{Config: cfg, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Sources[0]
	if doc.ExitCode != exitcode.Rejected || len(s.Suspicions) == 0 || s.Suspicions[len(s.Suspicions)-1].Field != mapping.FieldTime {
		t.Fatalf("exit %d %+v", doc.ExitCode, s.Suspicions)
	}
	if s.SameSecondPairs.Count != 1 || !strings.Contains(s.SameSecondPairs.Examples[0].Reason, "in and out of E3") {
		t.Fatalf("pairs %+v", s.SameSecondPairs)
	}
	// The table an import would create keys on the direction too: the
	// pair is two punches, neither a duplicate, and the note says so.
	if s.Duplicates.Count != 0 || doc.Counts[string(mapping.WouldImport)] != 26 || !strings.Contains(s.SameSecondPairs.Note, "both are imported") {
		t.Fatalf("duplicates %+v, counts %v, note %q", s.Duplicates, doc.Counts, s.SameSecondPairs.Note)
	}
}

// TestTimesInTheSourceZone: the floor's message, the coverage window and
// the report's failures are in the source's zone, not UTC.
func TestTimesInTheSourceZone(t *testing.T) {
	src := strings.Replace(gateSource(t), "clock: { floor: 2020-01-01 }", "clock: { floor: 2025-01-13 }\n    timezone: Asia/Ho_Chi_Minh", 1)
	rep := filepath.Join(t.TempDir(), "check.csv")
	doc := check(t, src, RunOptions{ReportPath: rep})
	s := doc.Sources[0]
	if s.BeforeFrom.Count == 0 || !strings.Contains(s.BeforeFrom.Examples[0].Reason, "earliest accepted time 2025-01-13T00:00:00+07:00") {
		t.Fatalf("floor %+v", s.BeforeFrom)
	}
	if doc.Coverage == nil || doc.Coverage.WindowFrom == nil || doc.Coverage.WindowFrom.Location().String() != "Asia/Ho_Chi_Minh" {
		t.Fatalf("coverage %+v", doc.Coverage)
	}
	data, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "+07:00") || strings.Contains(string(data), "T01:00:00Z") {
		t.Fatalf("report:\n%s", data)
	}
}

// suggestShape runs --suggest on a shape's draft source.
func suggestShape(t *testing.T, s shape) string {
	t.Helper()
	res, err := Suggest(context.Background(), SuggestOptions{ConfigPath: shapeConfig(t, shapeDir(t), s, "sources:\n  "+s.name+":\n    "+s.draft+"\n"), ConfigGiven: true})
	if err != nil {
		t.Fatal(err)
	}
	return res.YAML
}

// TestSuggestRefusesWhatTheDataContradicts names, shape by shape, the
// proposals the old --suggest made and the data contradicts.
func TestSuggestRefusesWhatTheDataContradicts(t *testing.T) {
	byName := map[string]shape{}
	for _, s := range shapes() {
		byName[s.name] = s
	}
	for _, tc := range []struct {
		shape     string
		want, not []string
	}{
		// A constant TMNo matched employee 1 on every row; Mode (verify mode) is no direction.
		{"glg", []string{`employee_key: { column: "EnNo", transform: [strip_leading_zeros] }   # 12 distinct keys, 12 match`, `direction: { column: "In/Out"`, `device: { column: "TMNo" }`},
			[]string{`column: "Mode"`, `column: "GMNo"`}},
		// The machine number is the device, the state column the direction, 255 kept.
		{"attlog", []string{`direction: { column: 4, codes: { in: ["0"], out: ["1"], overtime_in: ["4"], unknown: ["255"] } }`, `device: { column: 3 }`, "laid out as a ZKTeco attlog"},
			[]string{`direction: { column: 3`}},
		// The punch's date and time, not the operator's processing time; 机器号 is a device.
		{"zk_card_report", []string{`date: { column: "刷卡日期"`, `time: { column: "刷卡时间"`, `device: { column: "机器号" }`},
			[]string{`操作日期`, `direction:`}},
		// The upload time is not the punch time; the serial number is the device.
		{"biotime", []string{`time: { column: "Punch Time"`, `device: { column: "Serial Number" }`}, []string{`"Upload Time"`}},
		{"zk_english", []string{`device: { column: "Location ID" }`}, nil},
		// Transforms compose: cut the suffix, then pad.
		{"suffix_padded", []string{`transform: [{strip_suffix: "@acmevn"}, {pad_left: {width: 5, char: "0"}}]`}, nil},
		// A database source, through the import's reader.
		{"zk_database", []string{`url: "sqlite://zk.db"`, `query: "SELECT c.USERID`, `employee_key: { column: "BADGENUMBER" }`, `direction: { column: "CHECKTYPE", codes: { in: ["I"], out: ["O"] } }`, `device: { column: "SENSORID" }`},
			[]string{`column: "USERID"`, `column: "VERIFYCODE"`}},
	} {
		t.Run(tc.shape, func(t *testing.T) {
			y := suggestShape(t, byName[tc.shape])
			for _, w := range tc.want {
				if !strings.Contains(y, w) {
					t.Errorf("lacks %s", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(y, n) {
					t.Errorf("proposes %s", n)
				}
			}
			if t.Failed() {
				t.Log(y)
			}
		})
	}
}

// TestSuggestDatabaseTable: a table source is read whole (every column)
// before it has a mapping; with no key matching the directory, the key is
// left out with the counts.
func TestSuggestDatabaseTable(t *testing.T) {
	y := suggestShape(t, shape{name: "zk", dir: "employees-padded.csv", draft: `url: "sqlite://zk.db"
    table: CHECKINOUT`})
	// sn (the clock's serial) wins over SENSORID (its machine number): both
	// name the device, the serial survives renumbering.
	for _, w := range []string{`table: "CHECKINOUT"`, `time: { column: "CHECKTIME"`, `device: { column: "sn" }`, "# TODO: no column"} {
		if !strings.Contains(y, w) {
			t.Errorf("lacks %s:\n%s", w, y)
		}
	}
}
