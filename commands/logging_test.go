package commands

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// A scheduled task's first run: neither the data folder nor the log's
// folder exists yet. hrsync makes both, owner-only.
func TestFirstRunCreatesTheLogAndDataFolders(t *testing.T) {
	cfg := quickstart(t)
	logFile := filepath.Join(t.TempDir(), "logs", "hrsync", "hrsync.log")
	dataDir := filepath.Join(filepath.Dir(cfg), "hrsync-data")
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Fatalf("the data folder is there before the first run: %v", err)
	}
	code, _, errOut := run("import", "--config", cfg, "--log-file", logFile)
	if code != exitcode.Rejected {
		t.Fatalf("exit %d, want %d (the quickstart's rejects)\n%s", code, exitcode.Rejected, errOut)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{filepath.Dir(logFile): 0o700, logFile: 0o600, dataDir: 0o700} {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != want {
				t.Errorf("%s: mode %o, want %o", path, got, want)
			}
		}
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), `msg="run ended"`) {
		t.Fatalf("log file:\n%s", log)
	}
}

// Every line a run logs between its start and its end names the run, so
// two overlapping runs in one log file can be told apart.
func TestEveryLineOfARunNamesIt(t *testing.T) {
	cfg := quickstart(t)
	logFile := filepath.Join(t.TempDir(), "hrsync.log")
	for range 2 {
		if code, _, errOut := run("import", "--config", cfg, "--log-file", logFile, "--verbose"); code != exitcode.Rejected {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	runAttr := regexp.MustCompile(` run=(\d+)`)
	var current string
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		if strings.Contains(line, `msg="run started"`) {
			m := runAttr.FindStringSubmatch(line)
			if m == nil || m[1] == "0" {
				t.Fatalf("run started without its id: %s", line)
			}
			current = m[1]
			seen[current] = true
			continue
		}
		if current == "" {
			continue
		}
		m := runAttr.FindStringSubmatch(line)
		if m == nil || m[1] != current {
			t.Errorf("line inside run %s does not say run=%s: %s", current, current, line)
		}
		if strings.Contains(line, `msg="run ended"`) {
			current = ""
		}
	}
	if len(seen) != 2 {
		t.Fatalf("want two runs with their own ids, got %v in:\n%s", seen, log)
	}
	for _, want := range []string{`msg="file started"`, `msg="batch written"`} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the --verbose log lacks %s:\n%s", want, log)
		}
	}
}

// --verbose shows an import's progress on stderr: each file with its rows,
// each batch with its outcomes.
func TestVerboseShowsImportProgress(t *testing.T) {
	cfg := quickstart(t)
	code, _, errOut := run("import", "--config", cfg, "--verbose")
	if code != exitcode.Rejected {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`msg="file started" run=\d+ source=gate file=\S*punches.csv`),
		regexp.MustCompile(`msg="file finished" run=\d+ source=gate file=\S*punches.csv format=csv rows=408`),
		regexp.MustCompile(`msg="batch written" run=\d+ rows=408 rows_so_far=408 outcomes="duplicate=1 imported=390 inactive=10 invalid_row=2 invalid_time=2 unmapped=3"`),
	} {
		if !want.MatchString(errOut) {
			t.Errorf("stderr lacks %s:\n%s", want, errOut)
		}
	}
	// Without --verbose the console has only the summary.
	code, _, errOut = run("import", "--config", cfg)
	if code != exitcode.Rejected || strings.Contains(errOut, "level=") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

// The MySQL driver's own lines ("[mysql] packets.go:58 unexpected EOF")
// go through hrsync's logger: into --log-file, and off the console with -q.
// The "server" closes every connection as soon as it opens.
func TestDriverLinesGoThroughTheLogger(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(filepath.Join(dir, "p.csv"), []byte("key,time\n1,2026-01-01 08:00:00\n"), 0o644)
	os.WriteFile(cfg, []byte("hr:\n  url: mysql://root@"+ln.Addr().String()+"/test\nsources:\n  gate:\n    path: p.csv\n"+
		"    mapping:\n      employee_key: { column: key }\n      time: { column: time, layout: \"2006-01-02 15:04:05\" }\n"), 0o644)

	logFile := filepath.Join(dir, "hrsync.log")
	code, _, errOut := run("import", "--config", cfg, "--log-file", logFile, "-q")
	if code != exitcode.Failed {
		t.Fatalf("exit %d, want %d\n%s", code, exitcode.Failed, errOut)
	}
	if strings.Contains(errOut, "packets.go") || strings.Contains(errOut, "[mysql]") {
		t.Errorf("-q, yet the driver's lines are on stderr:\n%s", errOut)
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`level=WARN msg="packets.go:\d+ .*" driver=mysql`).Match(log) {
		t.Errorf("the log file lacks the driver's line:\n%s", log)
	}

	code, _, errOut = run("import", "--config", cfg)
	if code != exitcode.Failed || !regexp.MustCompile(`level=WARN msg="packets.go:\d+ .*" driver=mysql`).MatchString(errOut) {
		t.Errorf("exit %d; without -q the driver's lines belong on stderr, as hrsync's:\n%s", code, errOut)
	}
}

// On a terminal, --verbose prints its progress lines instead of the
// progress bar, which would draw over them.
func TestVerboseOnATerminalDrawsNoBar(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		app, _, stderr := testApp(quickstart(t))
		app.IsTerminal = func() bool { return true }
		app.Verbose = verbose
		if err := runImport(t.Context(), app, importOptions{}); exitOf(err) != exitcode.Rejected {
			t.Fatalf("verbose %v: %v", verbose, err)
		}
		if bar := strings.Contains(stderr.String(), "importing"); bar == verbose {
			t.Errorf("verbose %v: progress bar drawn: %v\n%q", verbose, bar, stderr)
		}
	}
}
