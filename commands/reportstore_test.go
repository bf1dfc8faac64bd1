package commands

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/exitcode"
)

// storeInState turns report.store: state on in a quickstart config.
func storeInState(t *testing.T, cfg string) {
	t.Helper()
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append(b, "\nreport:\n  store: state\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReportStoredInState: with report.store: state the import's report is
// kept in the state database; runs show says so and its size, --report
// FILE and --report - give back the file's exact bytes, and the retention
// that prunes the run prunes the stored report.
func TestReportStoredInState(t *testing.T) {
	cfg := quickstart(t)
	storeInState(t, cfg)
	t.Setenv("HRSYNC_CONFIG", cfg)
	code, out, errOut := run("import", "--output", "json")
	if code != exitcode.Rejected {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	var sum struct {
		RunID  int64  `json:"run_id"`
		Total  int64  `json:"total"`
		Report string `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	want, err := os.ReadFile(sum.Report)
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut = run("runs", "show", "1")
	if code != exitcode.OK || !strings.Contains(out, "stored report  csv, "+itoa(sum.Total)+" rows, ") {
		t.Fatalf("runs show: exit %d\n%s%s", code, out, errOut)
	}
	_, out, _ = run("runs", "show", "1", "--output", "json")
	var shown struct {
		Stored *struct {
			Bytes int64 `json:"bytes"`
			Rows  int64 `json:"rows"`
		} `json:"stored_report"`
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.Stored == nil ||
		shown.Stored.Bytes != int64(len(want)) || shown.Stored.Rows != sum.Total {
		t.Fatalf("runs show json (%v):\n%s", err, out)
	}

	// The file is gone with the worker: the state still has it.
	os.Remove(sum.Report)
	got := filepath.Join(t.TempDir(), "back.csv")
	if code, _, errOut := run("runs", "show", "1", "--report", got); code != exitcode.OK {
		t.Fatalf("runs show --report: exit %d: %s", code, errOut)
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, want) {
		t.Fatalf("report from the state differs from the file:\n%q\n%q", b, want)
	}
	if code, out, _ := run("runs", "show", "1", "--report", "-"); code != exitcode.OK || out != string(want) {
		t.Fatalf("runs show --report -: exit %d, %d bytes, want %d", code, len(out), len(want))
	}

	// A run that stored nothing says so, and asking for its report fails.
	if code, _, _ := run("import", "--dry-run", "--report", filepath.Join(t.TempDir(), "dry.csv")); code != exitcode.Rejected {
		t.Fatalf("dry run: exit %d", code)
	}
	if code, _, errOut := run("runs", "show", "1", "--report", filepath.Join(t.TempDir(), "none", "x.csv")); code == exitcode.OK {
		t.Fatalf("a report into a missing folder: exit 0: %s", errOut)
	}

	c, err := config.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sess, err := importer.OpenState(ctx, c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Prune(ctx, time.Now().Add(time.Duration(c.Retention.Runs)+time.Hour)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := sess.State.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM {run_reports}`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("stored reports after pruning every run: %d (%v)", n, err)
	}
	if err := sess.State.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM {run_report_chunks}`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("stored chunks after pruning every run: %d (%v)", n, err)
	}
}

// TestReportStoreFileByDefault: without report.store nothing goes into
// the state, and runs show says no report is stored.
func TestReportStoreFileByDefault(t *testing.T) {
	cfg := quickstart(t)
	t.Setenv("HRSYNC_CONFIG", cfg)
	if code, _, errOut := run("import"); code != exitcode.Rejected {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	if _, out, _ := run("runs", "show", "1"); !strings.Contains(out, "stored report  none\n") {
		t.Fatalf("runs show:\n%s", out)
	}
	if code, _, errOut := run("runs", "show", "1", "--report", "-"); code == exitcode.OK || !strings.Contains(errOut, "no report stored") {
		t.Fatalf("runs show --report - without a stored report: exit %d: %s", code, errOut)
	}
}

// TestImportReportToStdout: import --report - streams the report as JSON
// lines on stdout, one per input row and nothing else there, while the
// report file and the summary (stderr) are as usual; --output json with it
// is a usage error, since both would print on stdout.
func TestImportReportToStdout(t *testing.T) {
	cfg := quickstart(t)
	storeInState(t, cfg)
	t.Setenv("HRSYNC_CONFIG", cfg)
	code, out, errOut := run("import", "--report", "-")
	if code != exitcode.Rejected {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	punches, _ := os.ReadFile(filepath.Join(filepath.Dir(cfg), "punches.csv"))
	rows := bytes.Count(punches, []byte("\n")) - 1
	lines, outcomes := 0, map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var l struct {
			Outcome string `json:"outcome"`
			Line    int    `json:"line"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Outcome == "" || l.Line == 0 {
			t.Fatalf("stdout line %q is not a report line: %v", sc.Text(), err)
		}
		lines++
		outcomes[l.Outcome]++
	}
	if lines != rows || outcomes["imported"] == 0 || outcomes["unmapped"] == 0 {
		t.Fatalf("%d report lines on stdout for %d rows: %v", lines, rows, outcomes)
	}
	if !strings.Contains(errOut, "report: ") || !strings.Contains(errOut, ".jsonl") {
		t.Fatalf("stderr:\n%s", errOut)
	}
	// The same bytes went to the state.
	if code, stored, _ := run("runs", "show", "1", "--report", "-"); code != exitcode.OK || stored != out {
		t.Fatalf("stored report differs from stdout: exit %d\n%s", code, stored)
	}
	if code, out, _ := run("import", "--report", "-", "--output", "json"); code != exitcode.Usage || strings.Contains(out, `"outcome"`) {
		t.Fatalf("--report - --output json: exit %d\n%s", code, out)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
