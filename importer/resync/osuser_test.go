package resync

import (
	"errors"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/exitcode"
)

// TestOSUserBoundToProfileCannotOmitIt: a user listed in a profile's
// os_users resyncs inside it when he gives no --profile, is refused one
// that does not list him, and anyone else is unrestricted as before.
func TestOSUserBoundToProfileCannotOmitIt(t *testing.T) {
	e := newEnv(t, backends()[0])
	e.seed(seed)
	e.cfg.Resync.Profiles["sales_manager"] = config.ResyncProfile{Departments: []string{"Sales"}, OSUsers: []string{"clerk"}}
	var ue *exitcode.UsageError

	_, err := e.run(Options{Filter: production(), OSUser: "clerk", DryRun: true})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `profile "sales_manager" may resync only departments Sales`) {
		t.Errorf("clerk without --profile, Production: %v; want the sales_manager scope refusal", err)
	}
	_, err = e.run(Options{Filter: production(), OSUser: `CORP\Clerk`, Profile: "thu_duc", DryRun: true})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "bound to resync.profiles sales_manager") {
		t.Errorf("clerk with another profile: %v; want a refusal naming his profile", err)
	}
	sales := Filter{}
	sales.Add("department", "Sales")
	if _, err := e.run(Options{Filter: sales, OSUser: "clerk", DryRun: true}); err != nil {
		t.Errorf("clerk inside his profile: %v", err)
	}
	if _, err := e.run(Options{Filter: production(), OSUser: "root", DryRun: true}); err != nil {
		t.Errorf("an unlisted user: %v", err)
	}
}

func TestProfileFor(t *testing.T) {
	cfg := &config.Config{Resync: &config.Resync{Profiles: map[string]config.ResyncProfile{
		"a": {Departments: []string{"A"}, OSUsers: []string{"ann", "both"}},
		"b": {Departments: []string{"B"}, OSUsers: []string{"both"}},
	}}}
	for _, c := range []struct{ user, asked, want, err string }{
		{"ann", "", "a", ""},
		{"ANN", "", "a", ""},
		{"ann", "b", "", "bound to resync.profiles a"},
		{"both", "", "", "several resync profiles (a, b)"},
		{"both", "b", "b", ""},
		{"other", "", "", ""},
		{"other", "b", "b", ""},
	} {
		got, err := ProfileFor(cfg, c.user, c.asked)
		if got != c.want || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("ProfileFor(%q, %q) = %q, %v; want %q, %q", c.user, c.asked, got, err, c.want, c.err)
		}
	}
}
