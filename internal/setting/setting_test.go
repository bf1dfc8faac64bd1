package setting

import "testing"

func TestChoice(t *testing.T) {
	modes := []string{"never", "auto", "always"}
	for _, c := range []struct{ in, want, err string }{
		{"", "never", ""},
		{"auto", "auto", ""},
		{"Auto", "", `"Auto": want never, auto, always`},
		{"sometimes", "", `"sometimes": want never, auto, always`},
	} {
		got, err := Choice(c.in, "never", modes)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("Choice(%q) = %q, %v; want %q, %q", c.in, got, err, c.want, c.err)
		}
	}
}
