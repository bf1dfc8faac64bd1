package config

import (
	"path/filepath"
	"testing"
)

// TestParseResolvesPathsOnce: every relative path and sqlite:// URL is
// made relative to the config's folder by Parse, so no consumer resolves
// one again; remote paths, :memory: and absolute paths stay as written.
func TestParseResolvesPathsOnce(t *testing.T) {
	yml := `
data_dir: state
hr:
  url: sqlite://hr.db?_pragma=cache_size(-64000)
  employees: { file: staff/employees.xlsx }
sources:
  gate:
    path: exports/*.csv
    mapping: { employee_key: { column: 1 }, time: { column: 2 } }
  db:
    url: sqlite://att.db
    table: checkinout
    mapping: { employee_key: { column: pin }, time: { column: at } }
  mem:
    url: "sqlite://:memory:"
    query: SELECT 1
    mapping: { employee_key: { column: pin }, time: { column: at } }
  fixed:
    url: sqlite:///var/lib/att.db
    query: SELECT 1
    mapping: { employee_key: { column: pin }, time: { column: at } }
  remote:
    pull:
      url: sftp://att@10.0.0.5/exports
      pattern: "*.txt"
      password: pw
      known_hosts: keys/known_hosts
      after_pull: move
      archive_dir: done
    mapping: { employee_key: { column: 1 }, time: { column: 2 } }
  share:
    pull: { url: drop, pattern: "*.csv", after_pull: move, archive_dir: drop/done }
    inbox: in/share
    mapping: { employee_key: { column: 1 }, time: { column: 2 } }
push_users:
  source:
    url: sqlite://hrms.db
    query: SELECT code FROM staff
    columns: { id: code, name: n, password: p, status: s, onboarding_date: d }
`
	c, err := Parse("/cfg/hrsync.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	at := func(p string) string { return filepath.Join("/cfg", p) }
	checks := []struct{ key, got, want string }{
		{"data_dir", c.DataDir, at("state")},
		{"report.dir", c.Report.Dir, at("state/reports")},
		{"hr.url", c.HR.URL, "sqlite://" + at("hr.db") + "?_pragma=cache_size(-64000)"},
		{"hr.employees.file", c.HR.Employees.File, at("staff/employees.xlsx")},
		{"sources.gate.path", c.Sources["gate"].Path, at("exports/*.csv")},
		{"sources.db.url", c.Sources["db"].URL, "sqlite://" + at("att.db")},
		{"sources.mem.url", c.Sources["mem"].URL, "sqlite://:memory:"},
		{"sources.fixed.url", c.Sources["fixed"].URL, "sqlite:///var/lib/att.db"},
		{"sources.remote.pull.url", c.Sources["remote"].Pull.URL, "sftp://att@10.0.0.5/exports"},
		{"sources.remote.pull.archive_dir (on the server)", c.Sources["remote"].Pull.ArchiveDir, "done"},
		{"sources.remote.pull.known_hosts", c.Sources["remote"].Pull.KnownHosts, at("keys/known_hosts")},
		{"sources.share.pull.url", c.Sources["share"].Pull.URL, at("drop")},
		{"sources.share.pull.archive_dir", c.Sources["share"].Pull.ArchiveDir, at("drop/done")},
		{"sources.share.inbox", c.Sources["share"].Inbox, at("in/share")},
		{"push_users.source.url", c.PushUsers.Source.URL, "sqlite://" + at("hrms.db")},
		{"inbox of a pulled source", c.InboxDir(c.Sources["remote"]), at("state/inbox/remote")},
		{"employees file table", c.EmployeesFile().Path, at("staff/employees.xlsx")},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.key, ck.got, ck.want)
		}
	}
}
