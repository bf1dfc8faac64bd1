package importer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/importer/runlock"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
)

const employeesCSV = "id,attendance_no,name,status\nE1,1001,Ann,active\nE2,1002,Bob,active\n"

// setup writes a config reading punches.csv with the given content.
func setup(t *testing.T, punches []byte, format string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(employeesCSV), 0o644)
	if punches != nil {
		os.WriteFile(filepath.Join(dir, "punches.csv"), punches, 0o644)
	}
	cfg := `hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
lock_wait: 1s
sources:
  gate:
    path: punches.csv
` + format + `
    mapping:
      employee_key: { column: Pin }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
`
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(cfg), 0o644)
	c, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func readLines(t *testing.T, path string) []report.Line {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []report.Line
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var line report.Line
		if err := json.Unmarshal([]byte(l), &line); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		out = append(out, line)
	}
	return out
}

// TestBadInput: each kind of bad input ends as report lines that name the
// file, the line and the column, and never stops the run with a panic.
func TestBadInput(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	cases := []struct {
		name     string
		content  []byte // nil: the file does not exist
		format   string
		want     []mapping.Code
		reasonIn []string // text each rejected line's reason must hold, in order
	}{
		{name: "missing file", content: nil, want: []mapping.Code{mapping.Failed}, reasonIn: []string{"punches.csv"}},
		{name: "empty file", content: []byte{}, want: []mapping.Code{mapping.Failed}, reasonIn: []string{"empty"}},
		{name: "header only", content: []byte("Pin,Time\n"), want: []mapping.Code{mapping.Failed}, reasonIn: []string{"no rows", "header"}},
		{name: "UTF-16 BOM over a UTF-8 body, no line break decoded", content: []byte("\xff\xfePin,Time\n1001,2025-12-01 08:00:00\n"),
			want: []mapping.Code{mapping.Failed}},
		{name: "undeclared encoding", content: []byte("Pin,Time,Name\n1001,2025-12-01 08:00:00,Jos\xe9\n"),
			want: []mapping.Code{mapping.Failed}, reasonIn: []string{"line 2", "column", "format.encoding"}},
		{name: "ragged rows", content: []byte("Pin,Time\n1001,2025-12-01 08:00:00,extra\n1002\n1002,2025-12-01 09:00:00\n"),
			want:     []mapping.Code{mapping.InvalidRow, mapping.InvalidRow, mapping.Imported},
			reasonIn: []string{"3 fields, header has 2", `"Time"`}},
		{name: "unterminated quote", content: []byte("Pin,Time\n1001,2025-12-01 08:00:00\n\"1002,2025-12-01 09:00:00\n"),
			want: []mapping.Code{mapping.Imported, mapping.InvalidRow}, reasonIn: []string{"line 3"}},
		{name: "1 MB field", content: []byte("Pin,Time,Note\n1001,2025-12-01 08:00:00," + big + "\n"),
			want: []mapping.Code{mapping.Imported}},
		{name: "date that does not parse", content: []byte("Pin,Time\n1001,2025-13-45 08:00:00\n"),
			want: []mapping.Code{mapping.InvalidTime}, reasonIn: []string{`column "Time"`, "2025-13-45 08:00:00"}},
		{name: "impossible time", content: []byte("Pin,Time\n1001,2025-12-01 14:67:13\n"),
			want: []mapping.Code{mapping.InvalidTime}, reasonIn: []string{`column "Time"`, "14:67:13", "minute"}},
		{name: "blank key", content: []byte("Pin,Time\n ,2025-12-01 08:00:00\n"),
			want: []mapping.Code{mapping.InvalidRow}, reasonIn: []string{`column "Pin"`, "blank"}},
		{name: "unknown key", content: []byte("Pin,Time\n9999,2025-12-01 08:00:00\n"),
			want: []mapping.Code{mapping.Unmapped}, reasonIn: []string{`"9999"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := setup(t, tc.content, tc.format)
			rep := filepath.Join(t.TempDir(), "report.jsonl")
			res, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep})
			if err != nil {
				t.Fatalf("the run failed instead of reporting: %v", err)
			}
			if tc.want == nil {
				if res.Counts.Total() != 0 {
					t.Fatalf("counts %v, want none", res.Counts)
				}
				return
			}
			lines := readLines(t, rep)
			if len(lines) != len(tc.want) {
				t.Fatalf("%d report lines, want %d: %+v", len(lines), len(tc.want), lines)
			}
			r := 0
			for i, l := range lines {
				if l.Outcome != tc.want[i] {
					t.Errorf("line %d: outcome %s, want %s (%s)", i, l.Outcome, tc.want[i], l.Reason)
				}
				if !strings.HasSuffix(l.File, "punches.csv") {
					t.Errorf("line %d names file %q", i, l.File)
				}
				if l.Outcome.Placed() {
					continue
				}
				if l.Outcome != mapping.Failed && l.Line == 0 {
					t.Errorf("line %d has no line number", i)
				}
				for ; r < len(tc.reasonIn) && strings.Contains(l.Reason, tc.reasonIn[r]); r++ {
				}
			}
			if r < len(tc.reasonIn) {
				t.Errorf("no reason mentions %q: %+v", tc.reasonIn[r], lines)
			}
			if tc.want[0] == mapping.Failed && exitcode.For(res.Outcome()) != exitcode.Failed {
				t.Errorf("exit code %d for an unreadable file, want 1", exitcode.For(res.Outcome()))
			}
		})
	}
}

func TestSecondRunWaitsForTheLockThenGivesUp(t *testing.T) {
	cfg := setup(t, []byte("Pin,Time\n1001,2025-12-01 08:00:00\n"), "")
	held, err := runlock.Acquire(context.Background(), filepath.Join(cfg.Resolve(cfg.DataDir), "hrsync.lock"), 0)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = Import(context.Background(), Options{Config: cfg})
	if !errors.Is(err, runlock.ErrBusy) {
		t.Fatalf("err = %v, want ErrBusy", err)
	}
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("gave up after %s, before lock_wait (1s)", waited)
	}
	// The refused run is in the history, failed, saying why.
	sess, err := OpenState(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := sess.State.Runs(context.Background(), 10)
	sess.Close()
	if err != nil || len(runs) != 1 || runs[0].Command != "import" || runs[0].ExitCode == nil ||
		*runs[0].ExitCode != int(exitcode.Failed) || !strings.Contains(runs[0].Error, "lock") {
		t.Fatalf("history after the refusal: %+v %v", runs, err)
	}
	held.Release()
	if _, err := Import(context.Background(), Options{Config: cfg}); err != nil {
		t.Fatalf("after the first run ended: %v", err)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	cfg := setup(t, []byte("Pin,Time\n1001,2025-12-01 08:00:00\n1001,2025-12-01 08:00:00\n"), "")
	res, err := Import(context.Background(), Options{Config: cfg, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts[mapping.WouldImport] != 1 || res.Counts[mapping.Duplicate] != 1 {
		t.Fatalf("counts %v", res.Counts)
	}
	if _, err := os.Stat(filepath.Join(cfg.Dir, "hr.db")); !os.IsNotExist(err) {
		t.Fatalf("a dry run created the HR database: %v", err)
	}
}

// TestMappingThatNoLongerBindsFailsTheFile: after a column is renamed the
// file fails as a whole, with one line naming the missing column and the
// columns found (exit 1), instead of an ordinary-looking invalid_row per row.
func TestMappingThatNoLongerBindsFailsTheFile(t *testing.T) {
	cfg := setup(t, []byte("Badge,Time\n1001,2025-12-01 08:00:00\n1002,2025-12-01 09:00:00\n"), "")
	rep := filepath.Join(t.TempDir(), "report.jsonl")
	res, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep})
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, rep)
	if len(lines) != 1 || lines[0].Outcome != mapping.Failed ||
		!strings.Contains(lines[0].Reason, `column "Pin" not found`) || !strings.Contains(lines[0].Reason, "Badge") {
		t.Fatalf("report %+v, want one failed line naming Pin and the columns found", lines)
	}
	if exitcode.For(res.Outcome()) != exitcode.Failed {
		t.Errorf("exit %d, want %d", exitcode.For(res.Outcome()), exitcode.Failed)
	}
}

// TestOverlapIsReported: a wall time the clocks showed twice is imported
// as the first occurrence, and its report line says so; other rows keep an
// empty reason.
func TestOverlapIsReported(t *testing.T) {
	cfg := setup(t, []byte("Pin,Time\n1001,2025-10-26 02:30:00\n1002,2025-10-26 09:00:00\n"), "    timezone: Europe/Paris")
	rep := filepath.Join(t.TempDir(), "report.jsonl")
	res, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep})
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, rep)
	if len(lines) != 2 || res.Counts[mapping.Imported] != 2 {
		t.Fatalf("counts %v, report %+v", res.Counts, lines)
	}
	if l := lines[0]; l.Outcome != mapping.Imported || !strings.Contains(l.Reason, "daylight-saving overlap") || !strings.Contains(l.Reason, "first occurrence (+02:00)") {
		t.Errorf("overlap line %+v, want imported with the rule in its reason", l)
	}
	if l := lines[1]; l.Reason != "" {
		t.Errorf("ordinary line has reason %q", l.Reason)
	}
	// Again: the duplicate's reason keeps the note after its own.
	res, err = Import(context.Background(), Options{Config: cfg, ReportPath: rep})
	if err != nil {
		t.Fatal(err)
	}
	if l := readLines(t, rep)[0]; l.Outcome != mapping.Duplicate || !strings.HasPrefix(l.Reason, alreadyStoredReason+"; ambiguous local time") {
		t.Errorf("re-run line %+v, want duplicate with both reasons", l)
	}
}

// TestBrokenLineInTheRawCell: a line csv cannot split still reaches the
// CSV report's raw cell as it was written (re-quoted as one field), in the
// same twelve columns as every other row.
func TestBrokenLineInTheRawCell(t *testing.T) {
	broken := `1002,2025-12-01 09:00:00,say "hi"`
	cfg := setup(t, []byte("Pin,Time,Note\n1001,2025-12-01 08:00:00,ok\n"+broken+"\n"), "")
	rep := filepath.Join(t.TempDir(), "report.csv")
	if _, err := Import(context.Background(), Options{Config: cfg, ReportPath: rep}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF")))
	r.FieldsPerRecord = 12
	recs, err := r.ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("report (%v):\n%s", err, b)
	}
	if got := recs[2]; got[9] != string(mapping.InvalidRow) {
		t.Fatalf("the broken line is %q, want invalid_row", got)
	}
	fields, err := csv.NewReader(strings.NewReader(recs[2][11])).Read()
	if err != nil || len(fields) != 1 || fields[0] != broken {
		t.Fatalf("raw cell %q reads back as %q (%v), want the line as written", recs[2][11], fields, err)
	}
}
