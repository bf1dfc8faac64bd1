package mapping

import (
	"strings"
	"testing"
)

// lookupSlow is the lookup as first written: exact, then lower-cased.
func (c directionCodes) lookupSlow(raw string) (Direction, bool) {
	v := trimValue(raw)
	if d, ok := c.byCode[v]; ok {
		return d, true
	}
	d, ok := c.byCode[strings.ToLower(v)]
	return d, ok
}

func testCodes(t testing.TB) []directionCodes {
	var out []directionCodes
	for _, spec := range []map[Direction][]string{
		nil, // the direction names
		{DirIn: {"0", "4", "C/In"}, DirOut: {"1", "5", "C/Out"}},
		{DirIn: {"Entrée", "\u212a"}, DirOut: {"SORTIE", " ı "}}, // non-ASCII; the Kelvin sign lowers to ASCII k
	} {
		c, err := compileCodes(spec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestDirectionCodesLookup(t *testing.T) {
	cases := []struct {
		raw  string
		want Direction
		ok   bool
	}{
		{"C/In", DirIn, true},
		{"c/in", DirIn, true},
		{" C/OUT\u00a0", DirOut, true},
		{"4", DirIn, true},
		{"C/Inn", "", false},
		{"", "", false},
		{strings.Repeat("X", 40), "", false},
	}
	c := testCodes(t)[1]
	for _, tc := range cases {
		got, ok := c.lookup(tc.raw)
		if got != tc.want || ok != tc.ok {
			t.Errorf("lookup(%q) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzDirectionCodesLookup: the stack-lowering lookup finds exactly what
// lower-casing with strings.ToLower finds.
func FuzzDirectionCodesLookup(f *testing.F) {
	for _, s := range []string{"C/In", "IN", "break_OUT", "ENTRÉE", "k", "K", "\u212a", "I", "ı", " 0 ", strings.Repeat("a", 32), strings.Repeat("A", 33)} {
		f.Add(s)
	}
	codes := testCodes(f)
	f.Fuzz(func(t *testing.T, raw string) {
		for _, c := range codes {
			d1, ok1 := c.lookup(raw)
			d2, ok2 := c.lookupSlow(raw)
			if d1 != d2 || ok1 != ok2 {
				t.Fatalf("lookup(%q) = %q, %v; strings.ToLower gives %q, %v", raw, d1, ok1, d2, ok2)
			}
		}
	})
}
