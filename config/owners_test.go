package config

import (
	"strings"
	"testing"
)

// TestOwnerValues: a value the reading package (textfile, sources, httpx, httpsink, ...)
// would reject is rejected by Parse, naming the file, the line and the key.
func TestOwnerValues(t *testing.T) {
	t.Setenv("HRSYNC_TEST_PW", "x")
	src := func(format string) string {
		return "hr: { url: sqlite://hr.db }\nsources:\n  gate:\n    path: a.csv\n    format:\n      " + format +
			"\n    mapping:\n      employee_key: { column: 1 }\n      time: { column: 2, layout: \"2006-01-02 15:04:05\" }\n"
	}
	db := func(line string) string {
		return "hr: { url: sqlite://hr.db }\nsources:\n  gate:\n    url: sqlite://att.db\n    table: punches\n    " + line +
			"\n    mapping:\n      employee_key: { column: emp }\n      time: { column: ts }\n"
	}
	push := "hr: { url: sqlite://hr.db }\npush_users:\n  source:\n    path: staff.csv\n    columns: { id: No, name: Name, password: Pwd, status: St, onboarding_date: Joined }\n"
	cases := []struct {
		name, yaml, want string
	}{
		{"encoding", src("encoding: utf8x"), `hrsync.yaml:6: sources.gate.format.encoding: unknown encoding "utf8x"`},
		{"batch size", strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr: { url: sqlite://hr.db, batch_size: -5 }", 1),
			`hrsync.yaml:1: hr.batch_size: -5 is negative`},
		{"hr statement timeout", strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr: { url: sqlite://hr.db, statement_timeout: -1s }", 1),
			`hrsync.yaml:1: hr.statement_timeout: -1s: want a positive duration such as 10m, or leave it out for 10m0s`},
		{"source statement timeout", db("statement_timeout: -5m"),
			`hrsync.yaml:6: sources.gate.statement_timeout: -5m0s: want a positive duration such as 10m, or leave it out for 10m0s`},
		{"statement timeout of a file source", strings.Replace(src("type: csv"), "    path: a.csv\n", "    path: a.csv\n    statement_timeout: 1m\n", 1),
			`hrsync.yaml:5: sources.gate.statement_timeout: is for a database source (url:)`},
		{"fallback encoding", src("fallback_encoding: latin9"), `hrsync.yaml:6: sources.gate.format.fallback_encoding: unknown encoding "latin9"`},
		{"delimiter", src("delimiter: '#'"), `hrsync.yaml:6: sources.gate.format.delimiter: unknown delimiter "#"`},
		{"type", src("type: pdf"), `hrsync.yaml:6: sources.gate.format.type: "pdf": want auto, csv, txt, xlsx, xls`},
		{"push encoding", push + "    format: { encoding: utf8x }\n", `hrsync.yaml:6: push_users.source.format.encoding: unknown encoding "utf8x"`},
		{"push auth kind", push + "  target:\n    kind: scim\n    url: https://idp.example/scim\n    auth: { kind: oauth }\n",
			`hrsync.yaml:9: push_users.target.auth.kind: "oauth": want none, bearer, basic, signature`},
		{"hr.http auth kind", "hr:\n  url: https://hr.example/api\n  employees: { file: e.csv }\n  http:\n    auth: { kind: digest }\nsources:\n  gate:\n    path: a.csv\n    mapping:\n      employee_key: { column: 1 }\n      time: { column: 2, layout: \"2006-01-02 15:04:05\" }\n",
			`hrsync.yaml:5: hr.http.auth.kind: "digest": want none, bearer, basic, signature`},
		{"hr.http format", hrHTTPYAML("    format: xml\n"), `hrsync.yaml:5: hr.http.format: "xml": want json, csv`},
		{"hr.http zip", hrHTTPYAML("    zip: sometimes\n"), `hrsync.yaml:5: hr.http.zip: "sometimes": want never, auto, always`},
		{"hr.http field", hrHTTPYAML("    fields: { employee: empCode }\n"),
			`hrsync.yaml:5: hr.http.fields.employee: unknown field "employee" (want one of employee_id, time, direction, device_id, source, source_key)`},
		{"hr.http empty field name", hrHTTPYAML("    fields:\n      time: ''\n"), `hrsync.yaml:6: hr.http.fields.time: time maps to an empty name`},
		{"after_pull", strings.Replace(pullConfig, "      pattern:", "      after_pull: shred\n      pattern:", 1),
			`hrsync.yaml:8: sources.gate.pull.after_pull: "shred": want keep, delete, move`},
		{"pull scheme", strings.Replace(pullConfig, "sftp://att@127.0.0.1:2222/exports", "HTTP://x/y", 1),
			`hrsync.yaml:7: sources.gate.pull.url: unknown scheme "http" (want a path, file://, sftp://, ftp:// or ftps://)`},
		{"watermark kind", db("watermark: { column: ts, kind: rowid }"), `hrsync.yaml:6: sources.gate.watermark.kind: "rowid": want time, id`},
		{"watermark column", db("watermark: { kind: id }"), `hrsync.yaml:6: sources.gate.watermark.column: is required`},
		{"watermark overlap", db("watermark: { column: n, kind: id, overlap: 5m }"),
			`hrsync.yaml:6: sources.gate.watermark.overlap: a positive duration, and only for kind time`},
		{"report format", src("type: csv") + "report:\n  format: xml\n", `hrsync.yaml:11: report.format: "xml": want csv, jsonl`},
		{"report store", src("type: csv") + "report:\n  store: s3\n", `hrsync.yaml:11: report.store: "s3": want file, state`},
		{"inactive", strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr: { url: sqlite://hr.db, employees: { inactive: keep } }", 1),
			`hrsync.yaml:1: hr.employees.inactive: "keep": want reject, import`},
		{"scim user_name", push + "  target:\n    kind: scim\n    url: https://idp.example/scim\n    user_name: upn\n",
			`hrsync.yaml:9: push_users.target.user_name: "upn": want id, email`},
		{"push target kind", push + "  target:\n    kind: ldap\n", `hrsync.yaml:7: push_users.target.kind: "ldap": want database, http, scim`},
		{"api endpoint path", push + "  target:\n    kind: http\n    url: https://api.example\n    endpoints:\n      list: { path: /e }\n      update: { path: \"/e/{id}\" }\n",
			`hrsync.yaml:9: push_users.target.endpoints.create.path: is required`},
		{"api update path", push + "  target:\n    kind: http\n    url: https://api.example\n    endpoints:\n      list: { path: /e }\n      create: { path: /e }\n      update: { path: /e/one }\n",
			`hrsync.yaml:12: push_users.target.endpoints.update.path: "/e/one" must contain {id} (the employee id)`},
		{"hr.url scheme", strings.Replace(src("type: csv"), "sqlite://hr.db", "mysq://hr/db", 1),
			`hrsync.yaml:1: hr.url: unknown scheme "mysq", want one of sqlite, mysql, mariadb, postgres, postgresql, sqlserver, oracle`},
		{"source url scheme", strings.Replace(db("watermark: { column: ts }"), "sqlite://att.db", "sqlit://att.db", 1),
			`hrsync.yaml:4: sources.gate.url: unknown scheme "sqlit", want one of`},
		{"push source url scheme", "hr: { url: sqlite://hr.db }\npush_users:\n  source:\n    url: orcl://db/x\n    query: SELECT 1\n    columns: { id: No }\n",
			`hrsync.yaml:4: push_users.source.url: unknown scheme "orcl", want one of`},
		{"punches column", strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr:\n  url: sqlite://hr.db\n  punches:\n    columns: { when: t }", 1),
			`hrsync.yaml:4: hr.punches.columns: unknown field when (fields are employee_id, punch_time, direction, device_id, source, source_key, imported_at)`},
		{"punches key column", strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr:\n  url: sqlite://hr.db\n  punches:\n    columns:\n      punch_time: ''", 1),
			`hrsync.yaml:5: hr.punches.columns.punch_time: cannot be empty, it is part of the punch's unique key`},
		{"direction in key without a direction column", strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr:\n  url: sqlite://hr.db\n  punches:\n    columns: { direction: '' }\n    direction_in_key: true", 1),
			`hrsync.yaml:5: hr.punches.direction_in_key: needs a direction column (punches.columns.direction is empty)`},
		{"employees table name", strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr:\n  url: sqlite://hr.db\n  employees:\n    table: staff list", 1),
			`hrsync.yaml:4: hr.employees.table: "staff list" is not a valid SQL name`},
		{"employees table and query", strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr:\n  url: sqlite://hr.db\n  employees: { table: staff, query: SELECT 1 }", 1),
			`hrsync.yaml:3: hr.employees: set either table or query, not both`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("/cfg/hrsync.yaml", []byte(tc.yaml))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// The accepted spellings still pass.
	for _, f := range []string{"encoding: utf8", "encoding: GBK", "delimiter: tab", "delimiter: ';'", "type: txt"} {
		if _, err := Parse("/cfg/hrsync.yaml", []byte(src(f))); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	// A directory file keeps unknown columns as extra fields: no table rules.
	file := strings.Replace(src("type: csv"), "hr: { url: sqlite://hr.db }", "hr:\n  url: sqlite://hr.db\n  employees: { file: e.csv, columns: { cost center: CC } }", 1)
	if _, err := Parse("/cfg/hrsync.yaml", []byte(file)); err != nil {
		t.Errorf("directory file: %v", err)
	}
	for _, w := range []string{"watermark: { column: ts }", "watermark: { column: ts, kind: time, overlap: 10m }", "watermark: { column: n, kind: id }"} {
		if _, err := Parse("/cfg/hrsync.yaml", []byte(db(w))); err != nil {
			t.Errorf("%s: %v", w, err)
		}
	}
	for _, f := range []string{"format: CSV", "format: json", "zip: auto", "zip: always", "fields: { employee_id: empCode, time: t }"} {
		if _, err := Parse("/cfg/hrsync.yaml", []byte(hrHTTPYAML("    "+f+"\n"))); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
