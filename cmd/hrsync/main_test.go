package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hrsync/hrsync/internal/gen"
)

// buildBinary builds hrsync once for the end-to-end tests in this file.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hrsync")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// The import report's columns: source, file, sheet, line, key, employee_id,
// time, direction, device, outcome, reason, raw.
const (
	reportOutcome = 9
	reportReason  = 10
)

func readReport(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f) // every record as wide as the header, or an error
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

func countPunches(t *testing.T, db string) int {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT COUNT(*) FROM attendance_punches`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestQuickstart runs the README's main command from another working folder
// (as Task Scheduler would) and checks the exit code and the report.
func TestQuickstart(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	copyDir(t, "../../examples/quickstart", dir)
	reportPath := filepath.Join(dir, "report.csv")
	cmd := exec.Command(bin, "import", "--config", filepath.Join(dir, "hrsync.yaml"), "--report", reportPath)
	cmd.Dir = t.TempDir()
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("exit code %d, want 3 (rows rejected)\n%s", code, out)
	}
	lines := readReport(t, reportPath)
	punches, _ := os.ReadFile(filepath.Join(dir, "punches.csv"))
	if want := strings.Count(string(punches), "\n") - 1; len(lines) != want {
		t.Fatalf("%d report lines for %d input rows", len(lines), want)
	}
	counts := map[string]int{}
	for _, l := range lines {
		counts[l[reportOutcome]]++
	}
	for _, outcome := range []string{"imported", "unmapped", "inactive", "invalid_time", "invalid_row", "duplicate"} {
		if counts[outcome] == 0 {
			t.Errorf("no %s row in the report: %v", outcome, counts)
		}
	}
	imported := counts["imported"]
	if n := countPunches(t, filepath.Join(dir, "hrsync-data", "hr.db")); n != imported {
		t.Fatalf("%d punches in the HR database, %d imported in the report", n, imported)
	}

	// Again: nothing is written twice.
	cmd = exec.Command(bin, "import", "--config", filepath.Join(dir, "hrsync.yaml"), "--report", reportPath, "--quiet")
	out, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("second run: exit code %d\n%s", code, out)
	}
	counts = map[string]int{}
	for _, l := range readReport(t, reportPath) {
		counts[l[reportOutcome]]++
	}
	if counts["imported"] != 0 || counts["duplicate"] != imported+1 {
		t.Fatalf("second run counts %v, want 0 imported and %d duplicate", counts, imported+1)
	}
	if n := countPunches(t, filepath.Join(dir, "hrsync-data", "hr.db")); n != imported {
		t.Fatalf("%d punches after the second run, want %d", n, imported)
	}
}

// TestKillMidImportThenRerun kills the binary while it writes and checks the
// re-run leaves exactly the rows it should.
func TestKillMidImportThenRerun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses SIGKILL")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	const employees, rows = 500, 200000
	writeFile(t, filepath.Join(dir, "employees.csv"), func(f *os.File) error { return gen.WriteEmployeesCSV(f, employees) })
	writeFile(t, filepath.Join(dir, "punches.csv"), func(f *os.File) error {
		_, err := gen.WritePunchesCSV(f, gen.Spec{Employees: employees, Start: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Days: 30, Punches: rows, Seed: 3})
		return err
	})
	cfg := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(cfg, []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
`+gen.MappingYAML(4)), 0o644)
	db := filepath.Join(dir, "hr.db")
	killed := false
	for attempt := 0; attempt < 5 && !killed; attempt++ {
		cmd := exec.Command(bin, "import", "--config", cfg, "--quiet")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killed = killMidway(cmd, func() int { return countIfExists(db) }, rows)
	}
	if !killed {
		t.Skip("the import finished before it could be killed")
	}
	before := countIfExists(db)
	t.Logf("killed with %d of %d punches written", before, rows)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "import", "--config", cfg, "--quiet")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("re-run: %v\n%s", err, out)
	}
	if n := countPunches(t, db); n != rows {
		t.Fatalf("after the re-run the table has %d punches, want exactly %d", n, rows)
	}
}

func countIfExists(db string) int {
	if _, err := os.Stat(db); err != nil {
		return 0
	}
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(1000)")
	if err != nil {
		return 0
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT COUNT(*) FROM attendance_punches`).Scan(&n); err != nil {
		return 0
	}
	return n
}

func writeFile(t *testing.T, path string, fill func(*os.File) error) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fill(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", path, err))
	}
}

// killMidway kills the started cmd once count says some rows of want are
// committed but not all, and waits for it; false when it ended (or a
// minute passed) first.
func killMidway(cmd *exec.Cmd, count func() int, want int) bool {
	killed := false
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if n := count(); n > 0 && n < want {
			cmd.Process.Kill()
			killed = true
			break
		}
		if cmd.ProcessState != nil {
			break
		}
	}
	cmd.Wait()
	return killed
}
