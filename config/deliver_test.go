package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseAge(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{"30d", 30 * 24 * time.Hour, false},
		{"2w", 14 * 24 * time.Hour, false},
		{"720h", 720 * time.Hour, false},
		{"90m", 90 * time.Minute, false},
		{"d", 0, true},
		{"-3d", 0, true},
		{"soon", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseAge(tt.in)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("ParseAge(%q) = %v, %v", tt.in, got, err)
		}
	}
}

const httpSources = `
sources:
  gate:
    path: p.csv
    mapping:
      employee_key: { column: 1 }
      time: { column: 2, layout: "2006-01-02 15:04:05" }
`

func TestDeliverConfig(t *testing.T) {
	t.Setenv("HRSYNC_TEST_TOKEN", "tok")
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"http target", "hr:\n  url: https://hr.example/api\n  employees: {file: e.csv}\n  http: {auth: {kind: bearer, token: '${HRSYNC_TEST_TOKEN}'}, batch_size: 500}\nretention: {runs: 90d, events: 2w}\n", ""},
		{"no directory file", "hr:\n  url: https://hr.example/api\n", "hr.employees.file: is required"},
		{"http block on a database", "hr:\n  url: sqlite://hr.db\n  http: {format: csv}\n", "hr.http: is for an HTTP target"},
		{"credentials in the url", "hr:\n  url: https://u:p@hr.example/api\n  employees: {file: e.csv}\n", "put credentials under hr.http.auth"},
		{"bad format", "hr:\n  url: https://hr.example/api\n  employees: {file: e.csv}\n  http: {format: xml}\n", `hr.http.format: "xml": want json, csv`},
		{"bad retention", "hr:\n  url: sqlite://hr.db\nretention: {runs: forever}\n", "is not an age"},
		{"negative batch size", "hr:\n  url: https://hr.example/api\n  employees: {file: e.csv}\n  http:\n    batch_size: -5\n", "hrsync.yaml:5: hr.http.batch_size: -5: must not be negative"},
		{"bad schedule", "hr:\n  url: https://hr.example/api\n  employees: {file: e.csv}\n  http: {retry_schedule: [5m, 0s]}\n", "entry 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(filepath.Join(t.TempDir(), "hrsync.yaml"), []byte(tt.yaml+httpSources))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), ":p@") {
					t.Errorf("error shows the URL's password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.HRIsHTTP() || string(c.HR.HTTP.Auth.Token) != "tok" || c.HR.HTTP.Concurrency != 4 {
				t.Errorf("http target not set up: %+v", c.HR.HTTP)
			}
			if time.Duration(c.Retention.Events) != 14*24*time.Hour || time.Duration(c.Retention.Runs) != 90*24*time.Hour {
				t.Errorf("retention = %+v", c.Retention)
			}
		})
	}
	c, err := Parse(filepath.Join(t.TempDir(), "hrsync.yaml"), []byte("hr:\n  url: sqlite://hr.db\n"+httpSources))
	if err != nil {
		t.Fatal(err)
	}
	if c.Retention.Runs != DefaultRunRetention || c.Retention.Events != DefaultEventRetention {
		t.Errorf("default retention = %+v", c.Retention)
	}
}
