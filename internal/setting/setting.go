// Package setting is the error a package returns for one bad setting of
// its own, so that config can point at the key (and its line) while the
// rule stays with the package that acts on the value.
package setting

import (
	"fmt"
	"slices"
	"strings"
)

// Error is a bad value of one setting. Key is relative to what the checker
// was handed ("kind", "update.path"); config prefixes the section.
type Error struct{ Key, Msg string }

func (e *Error) Error() string { return e.Key + ": " + e.Msg }

// Choice reads a value that must be one of allowed: "" gives empty (the
// default), anything else not in the list is an error that lists them. Case
// matters unless the caller folds it first.
func Choice(s, empty string, allowed []string) (string, error) {
	if s == "" {
		return empty, nil
	}
	if !slices.Contains(allowed, s) {
		return "", fmt.Errorf("%q: want %s", s, strings.Join(allowed, ", "))
	}
	return s, nil
}
