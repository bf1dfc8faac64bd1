package examples_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/mapcheck"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

func TestZKTecoSQLServerExampleLoads(t *testing.T) {
	t.Setenv("ZK_DB_USER", "zkreader")
	t.Setenv("ZK_DB_PASSWORD", "not-a-real-password")
	cfg, err := config.Load("zkteco-sqlserver/hrsync.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := cfg.Sources["zkteco"]
	if src == nil || !src.IsDatabase() || src.Watermark == nil || !strings.Contains(src.Query, "BADGENUMBER") {
		t.Fatalf("source: %+v", src)
	}
	if string(src.Password) != "not-a-real-password" || src.User != "zkreader" {
		t.Errorf("credentials not taken from the environment")
	}
}

func TestMariaDBHRExample(t *testing.T) {
	cfg, err := config.Load("mariadb-hr/hrsync.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	db, err := sqldb.Open(pingCtx, cfg.HR.URL, sqldb.Credentials{})
	if err != nil {
		t.Skipf("MariaDB not reachable: %v", err)
	}
	defer db.Close()

	// The example's schema, under names of this run's own.
	dir := copyExample(t, "mariadb-hr")
	suffix := fmt.Sprintf("_%d", time.Now().UnixNano()%1e12)
	emp, att := "hr_employees"+suffix, "hr_attendance"+suffix
	rename := strings.NewReplacer("hr_employees", emp, "hr_attendance", att)
	schema, err := os.ReadFile(filepath.Join(dir, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range strings.Split(rename.Replace(string(schema)), ";") {
		if s := strings.TrimSpace(stripComments(stmt)); s != "" {
			if _, err := db.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	t.Cleanup(func() {
		db.ExecContext(ctx, "DROP TABLE "+emp)
		db.ExecContext(ctx, "DROP TABLE "+att)
	})
	yaml, err := os.ReadFile(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(rename.Replace(string(yaml))), 0o644); err != nil {
		t.Fatal(err)
	}
	if cfg, err = config.Load(filepath.Join(dir, "hrsync.yaml")); err != nil {
		t.Fatal(err)
	}

	run := func() importer.Result {
		res, err := importer.Import(ctx, importer.Options{Config: cfg, ReportPath: filepath.Join(t.TempDir(), "report.csv")})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		return res
	}
	first := run()
	c := first.Counts
	if c[mapping.Imported] != 4 || c[mapping.Inactive] != 1 || c[mapping.Unmapped] != 1 {
		t.Fatalf("first run: %v", c)
	}
	second := run()
	if second.Counts[mapping.Duplicate] != 4 || second.Counts[mapping.Imported] != 0 {
		t.Fatalf("second run: %v", second.Counts)
	}
	var n int
	var io string
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*), MAX(io) FROM "+att).Scan(&n, &io); err != nil {
		t.Fatal(err)
	}
	if n != 4 || io != "out" {
		t.Errorf("%s has %d rows, max(io) %q", att, n, io)
	}
	// 07:58:12 in Ho Chi Minh City is stored as 07:58:12 in the DATETIME
	// column (hr.timezone defaults to the top-level timezone), as the
	// HRMS and anyone querying it reads it; not as 00:58:12 UTC.
	var at string
	if err := db.QueryRowContext(ctx, "SELECT DATE_FORMAT(punched_at, '%Y-%m-%d %H:%i:%s') FROM "+att+" WHERE emp_code='E1001' ORDER BY punched_at LIMIT 1").Scan(&at); err != nil {
		t.Fatal(err)
	}
	if want := "2025-03-03 07:58:12"; at != want {
		t.Errorf("punched_at %s, want %s", at, want)
	}
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestZKTecoExampleReportsEveryRow runs the ZKTeco example's own query on
// an att2000-shaped SQLite database: a punch whose user has no badge
// number, and one whose user is missing from USERINFO, reach the report as
// unmapped with their USERID; map-check's direction table has every code.
func TestZKTecoExampleReportsEveryRow(t *testing.T) {
	dir := copyExample(t, "zkteco-sqlserver")
	db, err := sql.Open("sqlite", filepath.Join(dir, "zk.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE USERINFO (USERID INTEGER PRIMARY KEY, BADGENUMBER TEXT, NAME TEXT);
INSERT INTO USERINFO VALUES (1, '1001', 'An'), (2, ' 1002 ', 'Binh'), (3, NULL, 'Visitor'), (4, '', 'Temp');
CREATE TABLE CHECKINOUT (USERID INTEGER, CHECKTIME TEXT, CHECKTYPE TEXT, SENSORID TEXT);
INSERT INTO CHECKINOUT VALUES (1, '2025-03-03 07:58:12', 'I', '1'), (2, '2025-03-03 08:01:00', 'I', '1'),
  (3, '2025-03-03 08:05:00', 'I', '1'), (4, '2025-03-03 08:06:00', 'O', '1'), (9, '2025-03-03 08:07:00', 'I', '2'),
  (1, '2025-03-03 17:00:00', 'O', '2');`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(yaml), "\n") {
		switch {
		case strings.HasPrefix(strings.TrimSpace(l), "url: sqlserver://"):
			l = "    url: sqlite://zk.db"
		case strings.HasPrefix(strings.TrimSpace(l), "user:"), strings.HasPrefix(strings.TrimSpace(l), "password:"):
			continue
		}
		lines = append(lines, l)
	}
	if err := os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := mapcheck.Run(context.Background(), mapcheck.RunOptions{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Total != 6 || doc.Counts[string(mapping.WouldImport)] != 3 || doc.Counts[string(mapping.Unmapped)] != 3 {
		t.Fatalf("counts %v of %d", doc.Counts, doc.Total)
	}
	var keys []string
	for _, k := range doc.Sources[0].Unmapped.Keys {
		keys = append(keys, k.Key)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "USERID 3,USERID 4,USERID 9" {
		t.Fatalf("unmapped keys %v", keys)
	}
	dr := doc.Sources[0].Directions
	if dr == nil || len(dr.Codes) != 2 {
		t.Fatalf("direction table %+v", dr)
	}
}
