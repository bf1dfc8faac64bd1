package commands

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/importer"
)

// terminalApp is testApp with stderr taken for a terminal.
func terminalApp(cfgPath string, quiet bool) (*App, *strings.Builder, *strings.Builder) {
	app, _, _ := testApp(cfgPath)
	out, errOut := new(strings.Builder), new(strings.Builder)
	app.Out, app.Err, app.Quiet = out, errOut, quiet
	app.IsTerminal = func() bool { return true }
	return app, out, errOut
}

// Import's bar knows the files' size: it shows bytes read of the total
// and the rows; the importer's side is TestProgressCountsBytes.
func TestImportProgressShowsTotal(t *testing.T) {
	cfg := quickstart(t)
	fi, err := os.Stat(filepath.Join(filepath.Dir(cfg), "punches.csv"))
	if err != nil {
		t.Fatal(err)
	}
	app, _, errOut := terminalApp(cfg, false)
	_ = runImport(context.Background(), app, importOptions{})
	bar := errOut.String()
	// progressbar writes sizes in whole kB.
	total := "/" + strconv.FormatInt((fi.Size()+500)/1000, 10) + " kB)"
	if !strings.Contains(bar, "importing 408 rows") || !strings.Contains(bar, "%") || !strings.Contains(bar, total) {
		t.Fatalf("the bar shows no rows, percentage or total %s:\n%q", total, bar)
	}
	app, _, errOut = terminalApp(cfg, true)
	_ = runImport(context.Background(), app, importOptions{})
	if errOut.Len() != 0 {
		t.Errorf("import -q wrote to stderr: %q", errOut.String())
	}
}

// Half the bytes read is 50%, with the total.
func TestProgressPercentage(t *testing.T) {
	app, _, errOut := terminalApp("", false)
	p := newProgress(app, "importing")
	p.update(importer.Progress{Rows: 10, Bytes: 5000, TotalBytes: 10000})
	if s := errOut.String(); !strings.Contains(s, " 50%") || !strings.Contains(s, "5.0/10 kB") || !strings.Contains(s, "importing 10 rows") {
		t.Fatalf("bar = %q", s)
	}
	p.finish()
	if newProgress(&App{IsTerminal: func() bool { return false }}, "x") != nil {
		t.Error("a bar off a terminal")
	}
}

func TestMapCheckProgressAndQuiet(t *testing.T) {
	cfg := quickstart(t)
	app, out, errOut := terminalApp(cfg, false)
	_ = runMapCheck(context.Background(), app, mapCheckOptions{})
	if !strings.Contains(errOut.String(), "checking") || !strings.Contains(errOut.String(), "%") {
		t.Errorf("map-check on a terminal shows no progress bar:\n%q", errOut.String())
	}
	full := out.String()

	app, out, errOut = terminalApp(cfg, true)
	_ = runMapCheck(context.Background(), app, mapCheckOptions{})
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "exit 3: ") || !strings.HasSuffix(full, lines[0]+"\n") {
		t.Errorf("map-check -q printed %q, want only the verdict line of\n%s", out.String(), full)
	}
	if errOut.Len() != 0 {
		t.Errorf("map-check -q wrote to stderr: %q", errOut.String())
	}
}

func TestResyncProgress(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no,name,status,department\nE1,101,An,active,Production\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "punches.csv"), []byte("AC-No,Time\n101,2025-12-01 08:00:00\n"), 0o644)
	os.WriteFile(cfg, []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
    mapping:
      employee_key: { column: AC-No }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
`), 0o644)
	o := resyncOptions{filters: map[string]*[]string{"department": {"production"}}, From: "2025-12-01"}
	for _, quiet := range []bool{false, true} {
		app, _, errOut := terminalApp(cfg, quiet)
		if err := runResync(context.Background(), app, o); err != nil {
			t.Fatal(err)
		}
		if shown := strings.Contains(errOut.String(), "reading 1 rows") && strings.Contains(errOut.String(), "/35 B)"); shown == quiet {
			t.Errorf("quiet %v: stderr %q", quiet, errOut.String())
		}
	}
	// Not a terminal: no bar.
	app, _, errOut := testApp(cfg)
	if err := runResync(context.Background(), app, o); err != nil || strings.Contains(errOut.String(), "reading") {
		t.Errorf("resync off a terminal: %v, stderr %q", err, errOut.String())
	}
}
