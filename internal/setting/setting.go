// Package setting is the error a package returns for one bad setting of
// its own, so that config can point at the key (and its line) while the
// rule stays with the package that acts on the value.
package setting

// Error is a bad value of one setting. Key is relative to what the checker
// was handed ("kind", "update.path"); config prefixes the section.
type Error struct{ Key, Msg string }

func (e *Error) Error() string { return e.Key + ": " + e.Msg }
