package resync

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/mapping"
)

// CheckScope refuses a selection that reaches outside the named operator
// profile. An empty profile name means no restriction.
func CheckScope(cfg *config.Config, profile string, selected []*mapping.Employee) error {
	if profile == "" {
		return nil
	}
	var profiles map[string]config.ResyncProfile
	if cfg.Resync != nil {
		profiles = cfg.Resync.Profiles
	}
	p, ok := profiles[profile]
	if !ok {
		names := make([]string, 0, len(profiles))
		for n := range profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			return fmt.Errorf("--profile %q: the config has no resync.profiles", profile)
		}
		return fmt.Errorf("--profile %q: no such profile in resync.profiles (have: %s)", profile, strings.Join(names, ", "))
	}
	deps, branches := normSet(p.Departments), normSet(p.Branches)
	var outside []string
	for _, e := range selected {
		var why []string
		if len(deps) > 0 && !deps[norm(e.Department)] {
			why = append(why, fmt.Sprintf("department %q", e.Department))
		}
		if len(branches) > 0 && !branches[norm(e.Branch)] {
			why = append(why, fmt.Sprintf("branch %q", e.Branch))
		}
		if len(why) > 0 {
			outside = append(outside, e.ID+" ("+strings.Join(why, ", ")+")")
		}
	}
	if len(outside) == 0 {
		return nil
	}
	shown := outside
	if len(shown) > 5 {
		shown = shown[:5]
	}
	return fmt.Errorf("profile %q may resync only %s; %d selected employee(s) are outside it, e.g. %s: narrow the filters (e.g. --department) or ask an administrator",
		profile, describeScope(p), len(outside), strings.Join(shown, ", "))
}

func describeScope(p config.ResyncProfile) string {
	var parts []string
	if len(p.Departments) > 0 {
		parts = append(parts, "departments "+strings.Join(p.Departments, ", "))
	}
	if len(p.Branches) > 0 {
		parts = append(parts, "branches "+strings.Join(p.Branches, ", "))
	}
	return strings.Join(parts, " in ")
}

func normSet(values []string) map[string]bool {
	set := make(map[string]bool, len(values))
	for _, v := range values {
		set[norm(v)] = true
	}
	return set
}
