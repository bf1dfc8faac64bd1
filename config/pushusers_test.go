package config

import (
	"strings"
	"testing"
)

func TestPushUsersConfig(t *testing.T) {
	base := "hr: { url: sqlite://hr.db }\npush_users:\n  source:\n    path: staff.csv\n    columns: { id: No, name: Name, password: Pwd, status: St, onboarding_date: Joined }\n"
	tests := []struct {
		name, extra, want string
	}{
		{"defaults", "", ""},
		{"bad policy", "  policy: { department: sometimes }\n", `push_users.policy.department: "sometimes": want always, if_empty, never`},
		{"password policy", "  policy: { password: always }\n", "push_users.policy.password: cannot be updated"},
		{"bad share", "  max_deactivate_share: 1.5\n", "hrsync.yaml:6: push_users.max_deactivate_share"},
		{"bad kind", "  target: { kind: ldap }\n", `push_users.target.kind: "ldap": want database, http, scim`},
		{"http without url", "  target: { kind: http }\n", "push_users.target.url: is required"},
		{"unmapped required", "  required: [id, email]\n", `field "email" is required to create an account but no column is mapped`},
		{"unknown key", "  target: { kind: http, urll: x }\n", `unknown key "urll"`},
		{"missing env", "  target: { kind: scim, url: https://idp.example/scim/v2, auth: { kind: bearer, token: \"${NO_SUCH_VAR_PU}\" } }\n", "push_users.target.auth.token: environment variable NO_SUCH_VAR_PU is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("/cfg/hrsync.yaml", []byte(base+tt.extra))
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				p := c.PushUsers
				if p.Target.Kind != TargetDatabase || *p.MaxDeactivateShare != 0.10 || p.Policy["department"] != PolicyAlways || p.Policy["name"] != "" {
					t.Errorf("defaults: %+v", p)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}
