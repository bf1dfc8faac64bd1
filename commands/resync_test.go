package commands

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResyncCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(`id,attendance_no,name,status,department,designation,branch
E1,101,An,active,Production,Operator,Thu Duc
E2,102,Binh,Active,PRODUCTION,Supervisor,Thu Duc
E3,103,Chi,active,Sales,Manager,Bien Hoa
`), 0o644)
	os.WriteFile(filepath.Join(dir, "punches.csv"), []byte("AC-No,Time,State,Device\n101,2025-12-01 08:00:00,I,G1\n103,2025-12-01 08:00:00,I,G1\n"), 0o644)
	os.WriteFile(cfg, []byte(`hr:
  url: sqlite://hr.db
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
    mapping:
      employee_key: { column: AC-No }
      time: { column: Time, layout: "2006-01-02 15:04:05" }
      direction: { column: State, codes: { in: [I], out: [O] } }
      device: { column: Device }
resync:
  profiles:
    sales: { departments: [sales] }
`), 0o644)
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--list", "--department", " production "}, 0, "2 employees selected", ""},
		{[]string{"--list", "--department", "production,sales", "--designation", "manager"}, 0, "E3  Chi", ""},
		{[]string{"--list", "--department", "Prodution"}, 2, "", `nearest: "Production"`},
		{[]string{"--list", "--department", "production", "--profile", "sales"}, 2, "", `profile "sales" may resync only departments sales`},
		{[]string{"--department", "production", "--from", "2025-12-01"}, 0, "", "inserted 1"},
		{[]string{"--department", "sales", "--from", "2025-12-01", "--dry-run"}, 0, "E3        Chi   1", "would_insert 1"},
		{[]string{"--department", "production", "--from", "2025-12-01", "--output", "json"}, 0, `"unchanged": 1`, ""},
		{[]string{"--department", "production", "--from", "2025-12-32"}, 2, "", "--from"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Execute(append([]string{"resync", "--config", cfg}, tc.args...), strings.NewReader(""), &out, &errOut)
			if code != tc.code || !strings.Contains(out.String(), tc.stdout) || !strings.Contains(errOut.String(), tc.stderr) {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errOut.String())
			}
		})
	}
}

// TestResyncRefusesAnHTTPTarget: resync against a punch API is a usage error
// that says why, not a database driver's "unknown scheme".
func TestResyncRefusesAnHTTPTarget(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hrsync.yaml")
	os.WriteFile(filepath.Join(dir, "employees.csv"), []byte("id,attendance_no,name,status\nE1,101,An,active\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "punches.csv"), []byte("AC-No,Time\n101,2025-12-01 08:00:00\n"), 0o644)
	os.WriteFile(cfg, []byte(`hr:
  url: https://hr.example.com/api/punches
  employees: { file: employees.csv }
sources:
  gate:
    path: punches.csv
    mapping: { employee_key: AC-No, time: { column: Time, layout: "2006-01-02 15:04:05" } }
`), 0o644)
	for _, dry := range []string{"--prune", "--dry-run"} {
		code, out, errOut := run("resync", "--config", cfg, "--employee", "E1", "--from", "2025-12-01", dry)
		if code != 2 || !strings.Contains(errOut, "resync needs a database HR target") || strings.Contains(errOut, "scheme") {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", dry, code, out, errOut)
		}
	}
	if code, out, errOut := run("resync", "--config", cfg, "--employee", "E1", "--list"); code != 0 || !strings.Contains(out, "1 employees selected") {
		t.Fatalf("--list reads the directory file: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
