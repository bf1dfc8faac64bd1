package fetch

import "testing"

func TestInboxName(t *testing.T) {
	for in, want := range map[string]string{
		"punches.csv":  "punches.csv",
		".punches.csv": "_.punches.csv",
		"archive":      "_archive",
		"Error":        "_Error",
		"archive.csv":  "archive.csv",
	} {
		if got := inboxName(in); got != want {
			t.Errorf("inboxName(%q) = %q, want %q", in, got, want)
		}
	}
}
