package commands

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestUsersAddListRemove: the password comes from stdin or a file (never
// an argument), is stored hashed, and list never shows it; bad roles,
// profiles and short passwords are usage errors that save nothing.
func TestUsersAddListRemove(t *testing.T) {
	ctx := context.Background()
	cfgPath := httpConfig(t)
	os.WriteFile(cfgPath, append(must(os.ReadFile(cfgPath)), []byte("resync:\n  profiles:\n    sales: { departments: [Sales] }\n")...), 0o644)

	for _, c := range []struct {
		o     usersAddOptions
		stdin string
		want  string
	}{
		{usersAddOptions{Name: "a", Role: "root"}, "long-enough-pw\n", `"root": want viewer, operator, admin`},
		{usersAddOptions{Name: "a", Role: "viewer", Profile: "nope"}, "long-enough-pw\n", `--profile "nope": no such profile`},
		{usersAddOptions{Name: "a", Role: "viewer"}, "short\n", "at least 8 characters"},
		{usersAddOptions{Name: "two words", Role: "viewer"}, "long-enough-pw\n", "without spaces"},
	} {
		app, _, _ := testApp(cfgPath)
		app.In = strings.NewReader(c.stdin)
		err := runUsersAdd(ctx, app, c.o)
		if exitOf(err) != exitcode.Usage || !strings.Contains(err.Error(), c.want) {
			t.Errorf("users add %+v: %v (exit %d); want a usage error saying %q", c.o, err, exitOf(err), c.want)
		}
	}
	app, _, _ := testApp(cfgPath)
	app.In = strings.NewReader("correct horse battery\r\n")
	if err := runUsersAdd(ctx, app, usersAddOptions{Name: "minh", Role: "operator", Profile: "sales", Args: "hrsync users add minh --role operator --profile sales"}); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "ada.pw")
	os.WriteFile(pwFile, []byte("another long password\n"), 0o600)
	app, _, _ = testApp(cfgPath)
	if err := runUsersAdd(ctx, app, usersAddOptions{Name: "ada", Role: "admin", PasswordFile: pwFile}); err != nil {
		t.Fatal(err)
	}
	app, out, _ := testApp(cfgPath)
	if err := runUsersList(ctx, app, usersListOptions{Output: "json"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "$2a$") || strings.Contains(out.String(), "password") {
		t.Fatalf("users list shows a hash or a password:\n%s", out)
	}
	var users []struct{ Name, Role, Profile string }
	if err := json.Unmarshal(out.Bytes(), &users); err != nil || len(users) != 2 || users[1].Name != "minh" || users[1].Profile != "sales" {
		t.Fatalf("users list: %+v (%v)\n%s", users, err, out)
	}
	app, _, _ = testApp(cfgPath)
	if err := runUsersRemove(ctx, app, usersRemoveOptions{Name: "minh"}); err != nil {
		t.Fatal(err)
	}
	app, _, _ = testApp(cfgPath)
	if err := runUsersRemove(ctx, app, usersRemoveOptions{Name: "minh"}); exitOf(err) != exitcode.Usage {
		t.Errorf("removing a removed user: %v, want a usage error", err)
	}
	if h := consoleHistory(t, cfgPath); !strings.Contains(h, "users add|") || !strings.Contains(h, "users remove|") {
		t.Errorf("account changes are not in the run history:\n%s", h)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
