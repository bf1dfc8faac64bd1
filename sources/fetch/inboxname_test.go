package fetch

import "testing"

func TestInboxName(t *testing.T) {
	for in, want := range map[string]string{
		"punches.csv":  "punches.csv",
		".punches.csv": "_.punches.csv",
		"archive":      "_archive",
		"Error":        "_Error",
		"archive.csv":  "archive.csv",
		"C:evil.csv":   "C_evil.csv",
		"a<b>|?*.csv":  "a_b____.csv",
		"nul.csv":      "_nul.csv",
		"COM1":         "_COM1",
		"tab\tx.csv":   "tab_x.csv",
		"trailing. ":   "trailing__",
	} {
		if got := inboxName(in); got != want {
			t.Errorf("inboxName(%q) = %q, want %q", in, got, want)
		}
	}
}
