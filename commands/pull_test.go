package commands

import (
	"bytes"
	"context"
	"encoding/csv"
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

// pullWorld is a config whose source "gate" pulls from a remote folder into
// its inbox and imports from there into an SQLite HR database.
type pullWorld struct {
	dir, cfg, remote, inbox string
}

func newPullWorld(t *testing.T, pullSection string) *pullWorld {
	t.Helper()
	td, err := filepath.Abs("../examples/quickstart")
	if err != nil {
		t.Fatal(err)
	}
	w := &pullWorld{dir: t.TempDir()}
	w.remote = filepath.Join(w.dir, "remote")
	w.inbox = filepath.Join(w.dir, "hrsync-data", "inbox", "gate")
	if err := os.MkdirAll(w.remote, 0o755); err != nil {
		t.Fatal(err)
	}
	if pullSection == "" {
		pullSection = "url: remote\n      pattern: \"punches_*.csv\"\n      stable_for: -1s"
	}
	w.cfg = filepath.Join(w.dir, "hrsync.yaml")
	os.WriteFile(w.cfg, []byte(`timezone: Asia/Ho_Chi_Minh
hr:
  url: sqlite://hrsync-data/hr.db
  employees: { file: "`+td+`/employees.csv", match: [attendance_no, employee_no] }
sources:
  gate:
    pull:
      `+pullSection+`
    mapping:
      employee_key: { column: AC-No, transform: [trim, strip_leading_zeros] }
      time:         { column: Time, layout: "2006-01-02 15:04:05" }
      direction:    { column: State, codes: { in: [C/In], out: [C/Out] } }
      device:       { column: Device }
`), 0o644)
	return w
}

// punches writes the quickstart's rows from..to (1-based, after the header).
func (w *pullWorld) punches(t *testing.T, dir, name string, from, to int) {
	t.Helper()
	b, err := os.ReadFile("../examples/quickstart/punches.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	body := append([]string{lines[0]}, lines[from:to+1]...)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(body, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (w *pullWorld) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Execute(append(args, "--config", w.cfg), nil, &out, &errOut)
	return code, out.String(), errOut.String()
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// reportRows reads a report CSV (with its BOM) into rows, header first.
func reportRows(t *testing.T, stderr string) [][]string {
	t.Helper()
	i := strings.LastIndex(stderr, "report: ")
	if i < 0 {
		t.Fatalf("no report path in:\n%s", stderr)
	}
	path := strings.TrimSpace(stderr[i+len("report: "):])
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF")))
	r.FieldsPerRecord = -1 // the punch report appends the raw fields
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestPullThenImportFromLocalFolder(t *testing.T) {
	w := newPullWorld(t, "")
	w.punches(t, w.remote, "punches_1.csv", 1, 100)
	w.punches(t, w.remote, "punches_2.csv", 101, 200)
	os.WriteFile(filepath.Join(w.remote, "other.csv"), []byte("not for us\n"), 0o644)

	code, _, stderr := w.run(t, "pull")
	if code != 0 || strings.Count(stderr, ": pulled -> ") != 2 || !strings.Contains(stderr, "2 files, pulled 2") {
		t.Fatalf("first pull: exit %d\n%s", code, stderr)
	}
	rows := reportRows(t, stderr)
	if len(rows) != 3 || strings.Join(rows[0][:4], ",") != "source,remote_file,outcome,reason" || rows[1][2] != "pulled" || rows[1][5] == "" || len(rows[1][6]) != 64 {
		t.Fatalf("report: %q", rows)
	}
	if got := names(t, w.inbox); strings.Join(got, ",") != "punches_1.csv,punches_2.csv" {
		t.Fatalf("inbox holds %v", got)
	}

	firstReport := stderr[strings.LastIndex(stderr, "report: "):]
	code, _, stderr = w.run(t, "pull")
	if strings.Contains(stderr, firstReport) {
		t.Fatalf("second pull overwrote the first's report %s", firstReport)
	}
	if code != 0 || strings.Count(stderr, "skipped_already_pulled") != 3 || !strings.Contains(stderr, "2 files, skipped_already_pulled 2") {
		t.Fatalf("second pull: exit %d\n%s", code, stderr)
	}

	// A dry run reads the inbox and leaves it as it is.
	if code, _, stderr = w.run(t, "import", "--dry-run"); code != 3 || !strings.Contains(stderr, "would_import") ||
		strings.Join(names(t, w.inbox), ",") != "punches_1.csv,punches_2.csv" {
		t.Fatalf("dry run: exit %d, inbox %v\n%s", code, names(t, w.inbox), stderr)
	}

	// A file that cannot be read goes to error/ with its reason.
	os.WriteFile(filepath.Join(w.inbox, "broken.xlsx"), []byte("this is not a workbook"), 0o644)
	code, _, stderr = w.run(t, "import")
	if code != 1 || !strings.Contains(stderr, "archived 2 inbox file(s)") || !strings.Contains(stderr, "moved to error: ") {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	if got := names(t, w.inbox); len(got) != 0 {
		t.Fatalf("inbox still holds %v", got)
	}
	if got := names(t, filepath.Join(w.inbox, "archive")); strings.Join(got, ",") != "punches_1.csv,punches_2.csv" {
		t.Fatalf("archive holds %v", got)
	}
	reason, err := os.ReadFile(filepath.Join(w.inbox, "error", "broken.xlsx.reason.txt"))
	if err != nil || !strings.Contains(string(reason), "broken.xlsx") {
		t.Fatalf("reason note: %q %v", reason, err)
	}
	imported := 0
	for _, r := range reportRows(t, stderr)[1:] {
		if r[9] == "imported" {
			imported++
		}
		if strings.HasSuffix(r[1], "broken.xlsx") && (r[9] != "failed" || r[10] == "") {
			t.Fatalf("broken file's report line: %q", r)
		}
	}
	if imported == 0 {
		t.Fatal("nothing imported")
	}

	// An import with an empty inbox has nothing to do.
	if code, _, stderr = w.run(t, "import"); code != 0 || !strings.Contains(stderr, "0 rows") {
		t.Fatalf("empty import: exit %d\n%s", code, stderr)
	}

	// import --pull: a changed file of the same name is pulled again as a
	// new version, imported and archived beside the first.
	w.punches(t, w.remote, "punches_2.csv", 101, 250)
	code, _, stderr = w.run(t, "import", "--pull")
	// Exit 3: a few punches belong to inactive employees.
	if code != 3 || !strings.Contains(stderr, "punches_2.csv: pulled") || !strings.Contains(stderr, "archived 1 inbox file(s)") ||
		!strings.Contains(stderr, "imported 49") || !strings.Contains(stderr, "duplicate 98") {
		t.Fatalf("import --pull: exit %d\n%s", code, stderr)
	}
	if got := names(t, filepath.Join(w.inbox, "archive")); strings.Join(got, ",") != "punches_1.csv,punches_2.2.csv,punches_2.csv" {
		t.Fatalf("archive holds %v", got)
	}

	// Each run is in the history with its counts.
	cfg, err := config.Load(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := importer.OpenState(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	runs, err := sess.State.Runs(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var pulls []string
	for _, r := range runs {
		if r.Command == "pull" {
			pulls = append(pulls, r.Args)
			if r.ExitCode == nil || *r.ExitCode != 0 || r.Counts == nil {
				t.Errorf("pull run %+v", r)
			}
		}
	}
	if len(pulls) != 3 {
		t.Fatalf("pull runs in the history: %q", pulls)
	}
}

func TestPullExitCodes(t *testing.T) {
	tests := []struct {
		name, pull string
		args       []string
		code       int
		want       string
	}{
		{"missing remote folder", "url: nowhere\n      pattern: \"*.csv\"", []string{"pull"}, 1, "gate"},
		{"bad after_pull", "url: remote\n      pattern: \"*.csv\"\n      after_pull: shred", []string{"pull"}, 2, `sources.gate.pull.after_pull: "shred"`},
		{"bad pattern", "url: remote\n      pattern: \"{yyyyMMddHH}.csv\"", []string{"pull"}, 2, "unknown placeholder {yyyyMMddHH}"},
		{"unknown source", "", []string{"pull", "--source", "nope"}, 2, `no source named "nope"`},
		{"sftp without host key check", "url: sftp://att@127.0.0.1:1/x\n      pattern: \"*.csv\"\n      password: pw", []string{"pull"}, 2, "sftp needs known_hosts"},
		{"ftp warns", "url: ftp://att:pw@127.0.0.1:1/x\n      pattern: \"*.csv\"\n      retries: 0\n      connect_timeout: 2s", []string{"pull"}, 1, "clear text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newPullWorld(t, tc.pull)
			code, _, stderr := w.run(t, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want %d and %q in:\n%s", code, tc.code, tc.want, stderr)
			}
			if strings.Contains(stderr, ":pw@") {
				t.Fatal("password printed")
			}
		})
	}
}

// todayName is the name punches_{yyyyMMdd}.csv takes today in the config's zone.
func (w *pullWorld) todayName(t *testing.T) string {
	t.Helper()
	cfg, err := config.Load(w.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return "punches_" + time.Now().In(cfg.Sources["gate"].Location()).Format("20060102") + ".csv"
}

// TestImportPullJSONSaysTheExitCode: when the pull before an import fails,
// the JSON summary carries the code the process exits with (1), not the
// import's own (0: its inbox held nothing to reject).
func TestImportPullJSONSaysTheExitCode(t *testing.T) {
	w := newPullWorld(t, "url: nowhere\n      pattern: \"*.csv\"")
	code, stdout, stderr := w.run(t, "import", "--pull", "--output", "json")
	var sum struct {
		ExitCode *int `json:"exit_code"`
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || sum.ExitCode == nil {
		t.Fatalf("no JSON summary (%v):\n%s\n%s", err, stdout, stderr)
	}
	if code != int(exitcode.Failed) || *sum.ExitCode != code {
		t.Fatalf("process exit %d, JSON exit_code %d; want both %d\n%s", code, *sum.ExitCode, exitcode.Failed, stderr)
	}
}

// TestPulledFilesWithInboxNamesAreImported: a remote file whose name the
// inbox would hide (".early.csv") or take for its own folder ("archive")
// is stored under a safe name and imported, not pulled and forgotten.
func TestPulledFilesWithInboxNamesAreImported(t *testing.T) {
	w := newPullWorld(t, "url: remote\n      pattern: \"*\"\n      stable_for: -1s")
	w.punches(t, w.remote, ".early.csv", 1, 10)
	w.punches(t, w.remote, "archive", 11, 20)
	if code, _, stderr := w.run(t, "pull"); code != 0 || !strings.Contains(stderr, "pulled 2") {
		t.Fatalf("pull: exit %d\n%s", code, stderr)
	}
	if got := strings.Join(names(t, w.inbox), ","); got != "_.early.csv,_archive" {
		t.Fatalf("inbox holds %s", got)
	}
	code, _, stderr := w.run(t, "import")
	if code == int(exitcode.Failed) || !strings.Contains(stderr, "archived 2 inbox file(s)") {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
}

func TestPrintableRemoteNames(t *testing.T) {
	if got := printable("punches.csv"); got != "punches.csv" {
		t.Errorf("a plain name changed: %q", got)
	}
	if got := printable("a.csv\nfake: pulled"); got != `"a.csv\nfake: pulled"` {
		t.Errorf("a name with a newline printed as %q", got)
	}
}

// TestPullRemovesKilledPullsPartials: a .partial file in the inbox, however
// fresh, is a killed pull's (pull holds the run lock, so no other pull is
// writing there): the next pull removes it and pulls the file whole.
func TestPullRemovesKilledPullsPartials(t *testing.T) {
	w := newPullWorld(t, "url: remote\n      pattern: \"*.csv\"\n      stable_for: -1s")
	w.punches(t, w.remote, "a.csv", 1, 10)
	if err := os.MkdirAll(w.inbox, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(w.inbox, ".a.csv.partial-12345")
	if err := os.WriteFile(stale, []byte("half a fi"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := w.run(t, "pull"); code != 0 {
		t.Fatalf("pull: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the killed pull's partial file is still there (%v)", err)
	}
	if got := strings.Join(names(t, w.inbox), ","); got != "a.csv" {
		t.Fatalf("inbox holds %s", got)
	}
}
