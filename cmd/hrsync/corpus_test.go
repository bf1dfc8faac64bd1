package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/corpus"
)

// corpusCeilingKB is the peak resident memory any corpus input may cost
// the import that reads it.
const corpusCeilingKB = 200 << 10

const corpusEmployees = "id,attendance_no,name,status\nE1,1001,Ann,active\nE2,1002,Bob,active\nE3,000081,Dev,active\nE4,E1002,Eva,active\n"

// TestCorpus runs every file of the malformed-input corpus (made here by
// internal/corpus, some of it hundreds of megabytes) through the built
// binary, one import each: the report must hold the case's outcome, the
// exit code is never a crash's (2, or a signal), and on Linux the child's
// peak RSS stays under 200 MB. -v prints the table. (Linux counts in a
// child's peak the memory its parent, this test, had when it was spawned:
// the figures over-state each import by the test's own 25-40 MB.)
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("the corpus writes and reads about 2 GB of files")
	}
	bin := buildBinary(t)
	base, err := os.ReadFile("../../sources/sheet/testdata/export.xls")
	if err != nil {
		t.Fatal(err)
	}
	xlsMapping := `{ employee_key: { column: Emp No }, date: { column: Date, layout: "2006-01-02" }, time: { column: Time, layout: "15:04:05" } }`
	cases := corpus.Cases(base, xlsMapping)
	if len(cases) < 40 {
		t.Fatalf("the corpus has %d files, want at least 40", len(cases))
	}
	var table []string
	for _, c := range cases {
		dir := t.TempDir()
		input := filepath.Join(dir, c.Name)
		f, err := os.Create(input)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Write(f); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		f.Close()
		info, _ := os.Stat(input)
		os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(corpusEmployees), 0o600)
		mapping := c.Mapping
		if mapping == "" {
			mapping = `{ employee_key: { column: Pin }, time: { column: Time, layout: "2006-01-02 15:04:05" } }`
		}
		format := ""
		if c.Format != "" {
			format = "    format: " + c.Format + "\n"
		}
		cfg := fmt.Sprintf("timezone: Europe/Paris\nhr:\n  url: sqlite://hr.db\n  employees: { file: employees.csv }\nsources:\n  s:\n    path: %q\n%s    mapping: %s\n",
			c.Name, format, mapping)
		os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(cfg), 0o600)
		rep := filepath.Join(dir, "report.csv")
		cmd := exec.Command(bin, "import", "--config", filepath.Join(dir, "hrsync.yaml"), "--report", rep, "--quiet")
		out, _ := cmd.CombinedOutput()
		os.Remove(input) // the big ones: the disk holds one at a time
		code := cmd.ProcessState.ExitCode()
		rss, measured := peakRSSKB(cmd.ProcessState)
		outcomes := map[string]int{}
		var reasons []string
		if _, err := os.Stat(rep); err == nil {
			for _, l := range readReport(t, rep) {
				outcomes[l[reportOutcome]]++
				if l[reportOutcome] == c.Want {
					reasons = append(reasons, l[reportReason])
				}
			}
		}
		got := summarize(outcomes)
		row := fmt.Sprintf("%-40s %10s  exit %d  %-34s", c.Name, size(info.Size()), code, got)
		if measured {
			row += fmt.Sprintf("  peak RSS %4d MB", rss>>10)
		}
		table = append(table, row)
		switch {
		case code < 0 || code == 2:
			t.Errorf("%s: exit %d (a crash or a signal)\n%s", c.Name, code, out)
		case outcomes[c.Want] == 0:
			t.Errorf("%s: report %s, want a %s line\n%s", c.Name, got, c.Want, out)
		case c.Reason != "" && !strings.Contains(strings.Join(reasons, "\n"), c.Reason):
			t.Errorf("%s: %s for %q, want a reason holding %q", c.Name, c.Want, reasons, c.Reason)
		}
		if measured && rss > corpusCeilingKB {
			t.Errorf("%s: peak RSS %d MB, over the ceiling of %d MB", c.Name, rss>>10, corpusCeilingKB>>10)
		}
	}
	t.Logf("the corpus, %d files:\n%s", len(cases), strings.Join(table, "\n"))
}

func summarize(outcomes map[string]int) string {
	var parts []string
	for o, n := range outcomes {
		parts = append(parts, fmt.Sprintf("%s %d", o, n))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "(no report)"
	}
	return strings.Join(parts, ", ")
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
