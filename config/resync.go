package config

import (
	"fmt"
	"strings"
)

// Resync tunes `hrsync resync`.
type Resync struct {
	// UpdateChanged corrects punches whose direction or device differ from
	// the source (default true); false only reports them as differing.
	UpdateChanged *bool `yaml:"update_changed"`
	// Profiles restrict a named operator to some departments or branches.
	Profiles map[string]ResyncProfile `yaml:"profiles"`
}

// ResyncProfile is an operator's scope: an employee is inside it when his
// department is one of Departments (if any are listed) and his branch one
// of Branches (if any are listed).
//
// OSUsers binds operating-system accounts to the profile: a listed user's
// resync runs inside it (or another profile listing him) whether or not he
// gives --profile.
type ResyncProfile struct {
	Departments []string `yaml:"departments"`
	Branches    []string `yaml:"branches"`
	OSUsers     []string `yaml:"os_users"`
}

// ResyncUpdatesChanged reports whether resync corrects differing punches.
func (c *Config) ResyncUpdatesChanged() bool {
	return c.Resync == nil || c.Resync.UpdateChanged == nil || *c.Resync.UpdateChanged
}

func (c *Config) validateResync() error {
	if c.Resync == nil {
		return nil
	}
	for name, p := range c.Resync.Profiles {
		key := "resync.profiles." + name
		if len(p.Departments) == 0 && len(p.Branches) == 0 {
			return c.errAt(key, "lists no departments and no branches; give at least one (a profile without a scope would allow everything)")
		}
		for _, v := range append(append([]string(nil), p.Departments...), p.Branches...) {
			if strings.TrimSpace(v) == "" {
				return c.errAt(key, "has a blank department or branch")
			}
		}
		for _, u := range p.OSUsers {
			if strings.TrimSpace(u) == "" {
				return c.errAt(key+".os_users", "has a blank user name")
			}
		}
		if strings.TrimSpace(name) == "" {
			return c.errAt("resync.profiles", fmt.Sprintf("profile name %q is blank", name))
		}
	}
	return nil
}
