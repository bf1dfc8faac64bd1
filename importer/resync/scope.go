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
	var outside []string
	for _, e := range selected {
		if why := outsideWhy(p, e); len(why) > 0 {
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

// outsideWhy says why e is outside the profile (nothing when inside).
func outsideWhy(p config.ResyncProfile, e *mapping.Employee) []string {
	var why []string
	if len(p.Departments) > 0 && !normSet(p.Departments)[norm(e.Department)] {
		why = append(why, fmt.Sprintf("department %q", e.Department))
	}
	if len(p.Branches) > 0 && !normSet(p.Branches)[norm(e.Branch)] {
		why = append(why, fmt.Sprintf("branch %q", e.Branch))
	}
	return why
}

// InProfile reports whether e is inside the named profile (any employee is
// inside "", no employee inside a profile the config lacks).
func InProfile(cfg *config.Config, profile string, e *mapping.Employee) bool {
	if profile == "" {
		return true
	}
	if cfg.Resync == nil {
		return false
	}
	p, ok := cfg.Resync.Profiles[profile]
	return ok && len(outsideWhy(p, e)) == 0
}

// ProfileFor is the profile a resync by osUser runs under when asked names
// one ("" for none): a user the config lists in some profiles' os_users
// gets his profile when he names none (several: he must pick one of them),
// and is refused one that does not list him. Anyone else gets what he asked.
func ProfileFor(cfg *config.Config, osUser, asked string) (string, error) {
	var bound []string
	if cfg.Resync != nil && osUser != "" {
		for name, p := range cfg.Resync.Profiles {
			for _, u := range p.OSUsers {
				if sameUser(u, osUser) {
					bound = append(bound, name)
					break
				}
			}
		}
	}
	sort.Strings(bound)
	switch {
	case len(bound) == 0:
		return asked, nil
	case asked != "" && contains(bound, asked):
		return asked, nil
	case asked != "":
		return "", fmt.Errorf("--profile %q: user %s is bound to resync.profiles %s (os_users) and may resync only inside it", asked, osUser, strings.Join(bound, ", "))
	case len(bound) == 1:
		return bound[0], nil
	}
	return "", fmt.Errorf("user %s is bound to several resync profiles (%s): name one with --profile", osUser, strings.Join(bound, ", "))
}

// sameUser compares OS account names as Windows and Unix write them:
// without case, and "DOMAIN\\name" matches "name".
func sameUser(listed, user string) bool {
	if strings.EqualFold(listed, user) {
		return true
	}
	if i := strings.LastIndexByte(user, '\\'); i >= 0 && !strings.Contains(listed, `\`) {
		return strings.EqualFold(listed, user[i+1:])
	}
	return false
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
