package config

import (
	"strings"
	"testing"
)

func TestResyncSection(t *testing.T) {
	base := "hr: { url: sqlite://hr.db }\nsources:\n  gate:\n    path: a.csv\n    mapping: { employee_key: { column: K }, time: { column: T } }\n"
	tests := []struct {
		name, yaml, wantErr string
		update              bool
	}{
		{"absent", "", "", true},
		{"update_changed false", "resync:\n  update_changed: false\n", "", false},
		{"profile", "resync:\n  profiles:\n    mgr: { departments: [Sales], branches: [HCM] }\n", "", true},
		{"profile without scope", "resync:\n  profiles:\n    mgr: {}\n", ":8: resync.profiles.mgr: lists no departments and no branches", true},
		{"unknown key", "resync:\n  prune: true\n", `unknown key "prune"`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("/x/hrsync.yaml", []byte(base+tc.yaml))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.ResyncUpdatesChanged() != tc.update {
				t.Errorf("update_changed %v, want %v", c.ResyncUpdatesChanged(), tc.update)
			}
		})
	}
}
