package commands

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hrsync import --config=x.yaml", "hrsync import --config=x.yaml"},
		{"hrsync push-users --api-token=abc", "hrsync push-users --api-token=******"},
		{"hrsync x --password hunter2 --source gate", "hrsync x --password ****** --source gate"},
		{"hrsync x --dsn=mysql://u:pw@db/hr", "hrsync x --dsn=mysql://u:xxxxx@db/hr"},
	}
	for _, tt := range tests {
		got := redactArgs(tt.in)
		if got != tt.want || strings.Contains(got, "hunter2") || strings.Contains(got, ":pw@") {
			t.Errorf("redactArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScheduleCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "my hrsync.yaml")
	os.WriteFile(cfg, []byte(`hr:
  url: sqlite://hr.db
sources:
  gate:
    path: p.csv
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
`), 0o644)
	tests := []struct {
		args []string
		code int
		out  []string
	}{
		{[]string{"schedule", "--at", "06:30", "--job", "punches"}, 0,
			[]string{"# Windows Task Scheduler", "# cron", "30 6 * * * cd ", " import --quiet --config '" + cfg + "' --log-file " + filepath.Join(dir, "hrsync-data", "hrsync.log")}},
		{[]string{"schedule", "--at", "18:05", "--job", "catch up", "--command", "retry"}, 0, []string{"5 18 * * * ", " retry --quiet --config "}},
		{[]string{"schedule", "--at", "05:45", "--job", "punches", "--command", "pull+import"}, 0, []string{"45 5 * * * ", " import --pull --quiet --config "}},
		{[]string{"schedule", "--at", "25:00", "--job", "punches"}, 2, nil},
		{[]string{"schedule", "--job", "punches"}, 2, nil},
		{[]string{"schedule", "--at", "06:30", "--job", "p", "--command", "export"}, 2, nil},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		code := Execute(append(tt.args, "--config", cfg), nil, &out, &errOut)
		if code != tt.code {
			t.Errorf("%v: exit %d, want %d\n%s", tt.args, code, tt.code, errOut.String())
			continue
		}
		for _, want := range tt.out {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: output lacks %q:\n%s", tt.args, want, out.String())
			}
		}
	}
}
