package commands

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/gen"
	"github.com/hrsync/hrsync/internal/sqldb/sqltest"
)

// TestStateCheckAndMigrate: a new server state is behind (check exits 1
// listing what is pending), migrate applies every step and says which, and
// check is then content; a version from a newer hrsync makes check fail
// and a run refuse the state.
func TestStateCheckAndMigrate(t *testing.T) {
	u, schema := sqltest.PostgresSchema(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hrsync.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("state:\n  url: %s\n  schema: %s\nhr:\n  url: sqlite://hr.db\nsources:\n  gate:\n    path: p.csv\n%s", u, schema, gen.MappingYAML(4))), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	app, out, _ := testApp(cfg)
	if err := runStateCheck(ctx, app); err == nil || exitOf(err) != 1 || !strings.Contains(out.String(), "pending 1:") {
		t.Fatalf("check of a new state: %v, exit %d\n%s", err, exitOf(err), out)
	}
	app, out, _ = testApp(cfg)
	if err := runStateMigrate(ctx, app); err != nil {
		t.Fatal(err)
	}
	last := state.Migrations[len(state.Migrations)-1]
	if !strings.Contains(out.String(), "applied 1: ") || !strings.Contains(out.String(), fmt.Sprintf("now at version %d", last.Version)) {
		t.Fatalf("migrate said:\n%s", out)
	}
	app, out, _ = testApp(cfg)
	if err := runStateCheck(ctx, app); err != nil || !strings.Contains(out.String(), "up to date") {
		t.Fatalf("check after migrate: %v\n%s", err, out)
	}
	st, err := state.OpenWith(ctx, state.Options{URL: u, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB.ExecContext(ctx, `INSERT INTO {`+state.MigrationsTable+`}(version,name,applied_at) VALUES(?,?,?)`, 1000, "future", "x"); err != nil {
		t.Fatal(err)
	}
	app, _, _ = testApp(cfg)
	if err := runStateCheck(ctx, app); err == nil || !strings.Contains(err.Error(), "newer hrsync") {
		t.Fatalf("check of a newer state: %v", err)
	}
	app, _, _ = testApp(cfg)
	if err := runStateMigrate(ctx, app); err == nil || !strings.Contains(err.Error(), "newer hrsync") {
		t.Fatalf("migrate of a newer state: %v", err)
	}
}
