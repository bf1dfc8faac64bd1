package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// TestHostileIdentifiersAndKeys, on every dialect: table and column names
// from the config with quotes, backticks or "; DROP" are refused by config
// check, naming the key; employee keys and ids holding them are bound
// values, stored and read back as they are, and the table is still there.
func TestHostileIdentifiersAndKeys(t *testing.T) {
	for _, d := range []struct{ name, url string }{
		{"sqlite", "sqlite://hr.db"},
		{"mariadb", "mysql://root@127.0.0.1:3306/test"},
		{"postgres", "postgres://root@127.0.0.1:5432/test?sslmode=disable"},
	} {
		t.Run(d.name, func(t *testing.T) {
			for _, bad := range []string{"a`b", `a"b`, "a'b", "p; DROP TABLE x", "p]; DROP TABLE x; --", "x y"} {
				for _, key := range []string{"table", "columns: { employee_id"} {
					closing := ""
					if strings.HasPrefix(key, "columns") {
						closing = " }"
					}
					yaml := fmt.Sprintf("hr:\n  url: %q\n  punches: { %s: %q%s }\n  employees: { file: employees.csv }\nsources:\n  s:\n    path: p.csv\n    mapping: { employee_key: { column: Pin }, time: { column: Time } }\n",
						d.url, key, bad, closing)
					_, err := config.Parse(filepath.Join(t.TempDir(), "hrsync.yaml"), []byte(yaml))
					if err == nil || !strings.Contains(err.Error(), "hr.punches.") {
						t.Errorf("punches %s %q: err %v, want it refused naming the key", key, bad, err)
					} else if testing.Verbose() {
						t.Log(err)
					}
				}
			}

			ctx := context.Background()
			dir := t.TempDir()
			table := fmt.Sprintf("hostile_%d", time.Now().UnixNano()%1e9)
			keys := []string{"1'; DROP TABLE " + table + "; --", "`2`", `3"); DELETE FROM ` + table + ` WHERE ("1"="1`}
			ids := []string{`E'1`, "E`2", `E"3; DROP TABLE x`}
			var emps, punches strings.Builder
			emps.WriteString("id,attendance_no,name,status\n")
			punches.WriteString("Pin,Time\n")
			q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
			for i := range keys {
				fmt.Fprintf(&emps, "%s,%s,N,active\n", q(ids[i]), q(keys[i]))
				fmt.Fprintf(&punches, "%s,2025-12-01 08:0%d:00\n", q(keys[i]), i)
			}
			os.WriteFile(filepath.Join(dir, "employees.csv"), []byte(emps.String()), 0o600)
			os.WriteFile(filepath.Join(dir, "punches.csv"), []byte(punches.String()), 0o600)
			yaml := fmt.Sprintf("hr:\n  url: %q\n  create_tables: true\n  punches: { table: %s }\n  employees: { file: employees.csv, match: [attendance_no] }\nsources:\n  s:\n    path: punches.csv\n    mapping: { employee_key: { column: Pin }, time: { column: Time, layout: \"2006-01-02 15:04:05\" } }\n",
				d.url, table)
			os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(yaml), 0o600)
			cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			url := cfg.HR.URL
			octx, cancel := context.WithTimeout(ctx, 5*time.Second)
			db, err := sqldb.Open(octx, url, sqldb.Credentials{})
			cancel()
			if err == nil {
				err = db.PingContext(ctx)
			}
			if err != nil {
				t.Skipf("%s not reachable: %v", d.name, err)
			}
			defer db.Close()
			qt, _ := db.Dialect.Quote("t", table)
			defer db.ExecContext(ctx, "DROP TABLE IF EXISTS "+qt)

			res, err := Import(ctx, Options{Config: cfg})
			if err != nil {
				t.Fatal(err)
			}
			if res.Counts[mapping.Imported] != int64(len(keys)) {
				t.Fatalf("counts %v, want %d imported", res.Counts, len(keys))
			}
			for _, id := range ids {
				var n int
				if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+qt+" WHERE employee_id = "+db.Dialect.Placeholder(1), id).Scan(&n); err != nil || n != 1 {
					t.Errorf("employee %q: %d punches stored (%v), want 1", id, n, err)
				}
			}
		})
	}
}
