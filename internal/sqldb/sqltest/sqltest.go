// Package sqltest gives tests a fresh place in the test database servers:
// a schema of its own on PostgreSQL and SQL Server, a database of its own on
// MariaDB, dropped when the test ends, so tests running at once never meet.
// A server that is not there skips the test with a message.
package sqltest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// PostgresURL is the test server (HRSYNC_TEST_POSTGRES_URL overrides).
func PostgresURL() string {
	return envOr("HRSYNC_TEST_POSTGRES_URL", "postgres://root@127.0.0.1:5432/test?sslmode=disable")
}

// MySQLURL is the test MariaDB (HRSYNC_TEST_MYSQL_URL overrides).
func MySQLURL() string { return envOr("HRSYNC_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test") }

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func name(prefix string) string {
	return fmt.Sprintf("%s_%d_%04d", prefix, time.Now().UnixNano()%1e9, rand.IntN(10000))
}

func open(t testing.TB, raw, what string) *sqldb.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sqldb.Open(ctx, raw, sqldb.Credentials{})
	if err != nil {
		t.Skipf("%s not reachable (%v): skipping", what, err)
	}
	return db
}

// PostgresSchema creates a fresh schema and returns the server's URL and
// its name.
func PostgresSchema(t testing.TB) (rawURL, schema string) {
	t.Helper()
	db := open(t, PostgresURL(), "PostgreSQL")
	schema = name("hrsync_t")
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	})
	return PostgresURL(), schema
}

// MariaDBDatabase creates a fresh database and returns its URL.
func MariaDBDatabase(t testing.TB) string {
	t.Helper()
	db := open(t, MySQLURL(), "MariaDB")
	dbName := name("hrsync_t")
	if _, err := db.Exec(`CREATE DATABASE ` + dbName); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Exec(`DROP DATABASE ` + dbName)
		db.Close()
	})
	u, err := url.Parse(MySQLURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + dbName
	return u.String()
}

// SQLServerSchema creates a fresh schema in the server HRSYNC_TEST_MSSQL_DSN
// names (a sqlserver:// URL); without it the test is skipped.
func SQLServerSchema(t testing.TB) (rawURL, schema string) {
	t.Helper()
	raw := os.Getenv("HRSYNC_TEST_MSSQL_DSN")
	if raw == "" {
		t.Skip("HRSYNC_TEST_MSSQL_DSN is not set (a sqlserver:// URL): skipping SQL Server")
	}
	if !strings.HasPrefix(raw, "sqlserver://") {
		t.Fatalf("HRSYNC_TEST_MSSQL_DSN: want a sqlserver:// URL")
	}
	db := open(t, raw, "SQL Server")
	schema = name("hrsync_t")
	if _, err := db.Exec(`EXEC('CREATE SCHEMA ` + schema + `')`); err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Tables first: SQL Server drops only an empty schema.
		rows, err := db.Query(`SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = @p1`, schema)
		if err == nil {
			var names []string
			for rows.Next() {
				var n string
				rows.Scan(&n)
				names = append(names, n)
			}
			rows.Close()
			for _, n := range names {
				db.Exec(`DROP TABLE [` + schema + `].[` + n + `]`)
			}
		}
		db.Exec(`DROP SCHEMA [` + schema + `]`)
		db.Close()
	})
	return raw, schema
}
