package sources

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// TestTableQuery reads an employee directory from a query on each live
// database: column names are the header, DATE columns come back as dates,
// times with their time of day, and numbers in plain decimal.
func TestTableQuery(t *testing.T) {
	for _, b := range []struct{ name, url string }{
		{"sqlite", "sqlite://" + filepath.Join(t.TempDir(), "hrms.db")},
		{"mariadb", envOr("HRSYNC_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")},
		{"postgres", envOr("HRSYNC_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")},
	} {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			octx, cancel := context.WithTimeout(ctx, 5*time.Second)
			db, err := sqldb.Open(octx, b.url, sqldb.Credentials{})
			cancel()
			if err != nil {
				t.Skipf("%s not reachable: %v", b.name, err)
			}
			defer db.Close()
			table := fmt.Sprintf("staff_%d", time.Now().UnixNano()%1e9)
			for _, q := range []string{
				"CREATE TABLE " + table + " (code VARCHAR(10), joined DATE, seen TIMESTAMP NULL, badge DOUBLE PRECISION, note VARCHAR(10))",
				"INSERT INTO " + table + " VALUES ('E1', '2024-03-01', '2024-03-01 08:30:00', 1000000, NULL)",
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			defer db.ExecContext(ctx, "DROP TABLE "+table)
			tb := &Table{Key: "push_users.source", Source: "push_users", URL: b.url,
				Query: "SELECT code, joined, seen, badge, note FROM " + table}
			var got []string
			err = tb.Each(ctx, func(where string, r FileReader) error {
				if where != "push_users.source.query" {
					t.Errorf("where = %q", where)
				}
				for {
					row, err := r.Next()
					if err == io.EOF {
						return nil
					}
					if err != nil || row.Err != nil {
						return fmt.Errorf("%v %v", err, row.Err)
					}
					got = append(got, strings.Join(row.Header, ",")+" = "+strings.Join(row.Fields, "|"))
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			want := "code,joined,seen,badge,note = E1|2024-03-01|2024-03-01 08:30:00|1000000|"
			if len(got) != 1 || got[0] != want {
				t.Errorf("rows %q, want %q", got, want)
			}
		})
	}
}
