package commands

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// quickstart copies the quickstart example to a temp folder and returns its config path.
func quickstart(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"hrsync.yaml", "employees.csv", "punches.csv"} {
		b, err := os.ReadFile(filepath.Join("..", "examples", "quickstart", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	return filepath.Join(dir, "hrsync.yaml")
}

func run(args ...string) (code exitcode.Code, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = exitcode.Code(Execute(args, strings.NewReader(""), &out, &errOut))
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	cfg := quickstart(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("hr:\n  url: sqlite://x.db\n  colour: blue\nsources: {}\n"), 0o644)
	badScheme := filepath.Join(filepath.Dir(cfg), "bad-scheme.yaml")
	if b, err := os.ReadFile(cfg); err == nil {
		os.WriteFile(badScheme, []byte(strings.Replace(string(b), "sqlite://hrsync-data/hr.db", "mssqll://hr/db", 1)), 0o644)
	}
	notAFolder := filepath.Join(t.TempDir(), "unknown flag invalid argument")
	os.WriteFile(notAFolder, nil, 0o644)
	cases := []struct {
		name   string
		args   []string
		code   exitcode.Code
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, exitcode.OK, "hrsync dev", ""},
		{"config check", []string{"config", "check", "--config", cfg}, exitcode.OK, "is valid", ""},
		{"config check names key and line", []string{"config", "check", "--config", bad}, exitcode.Usage, "", `bad.yaml: line 3: unknown key "colour"`},
		{"missing config", []string{"import", "--config", filepath.Join(t.TempDir(), "nope.yaml")}, exitcode.Usage, "", "nope.yaml"},
		{"unknown flag", []string{"import", "--frobnicate"}, exitcode.Usage, "", "unknown flag"},
		{"unknown source", []string{"import", "--config", cfg, "--source", "nope"}, exitcode.Usage, "", `no source named "nope"`},
		{"unknown URL scheme", []string{"import", "--config", badScheme}, exitcode.Usage, "", `hr.url: unknown scheme "mssqll"`},
		{"import with rejects", []string{"import", "--config", cfg}, exitcode.Rejected, "", "imported 390"},
		{"completion", []string{"completion", "bash"}, exitcode.OK, "bash completion", ""},
		// cobra's refusals are usage errors because they come before any
		// command runs, whatever their words:
		{"unknown command", []string{"bogus"}, exitcode.Usage, "", `unknown command "bogus"`},
		{"flag without its value", []string{"import", "--source"}, exitcode.Usage, "", "flag needs an argument"},
		{"too many arguments", []string{"mark-processed", "1", "2"}, exitcode.Usage, "", "accepts 1 arg"},
		// ... and a run's failure is not, even when it reads like one.
		{"a failure worded like a usage error", []string{"import", "--config", cfg, "--report", filepath.Join(notAFolder, "r.csv")},
			exitcode.Failed, "", "unknown flag"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
		})
	}
}

func TestImportJSONSummaryAndLogFile(t *testing.T) {
	cfg := quickstart(t)
	logFile := filepath.Join(t.TempDir(), "hrsync.log")
	code, out, _ := run("import", "--config", cfg, "--output", "json", "--log-file", logFile, "--report", filepath.Join(t.TempDir(), "r.jsonl"))
	if code != exitcode.Rejected {
		t.Fatalf("exit %d", code)
	}
	var sum struct {
		Total    int64            `json:"total"`
		Counts   map[string]int64 `json:"counts"`
		ExitCode int              `json:"exit_code"`
		Report   string           `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if sum.Total != 408 || sum.Counts["imported"] != 390 || sum.ExitCode != 3 || !strings.HasSuffix(sum.Report, "r.jsonl") {
		t.Fatalf("summary %+v", sum)
	}
	log, _ := os.ReadFile(logFile)
	if !strings.Contains(string(log), "msg=\"import finished\"") || !strings.Contains(string(log), "time=") {
		t.Fatalf("log file:\n%s", log)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Setenv("HRSYNC_CONFIG", quickstart(t))
	if code, out, errOut := run("config", "check"); code != exitcode.OK {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
}
