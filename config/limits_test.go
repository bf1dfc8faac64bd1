package config

import (
	"strings"
	"testing"
)

// TestLimitsAreCheckedByConfigCheck: the limits a run would refuse are
// refused when the config is read, naming the key and its line.
func TestLimitsAreCheckedByConfigCheck(t *testing.T) {
	base := "%s\nhr: { url: 'sqlite://hr.db', employees: { file: e.csv } }\nsources:\n  s:\n    path: p.csv\n%s    mapping: { employee_key: { column: 1 }, time: { column: 2 } }\n"
	cases := []struct{ top, src, want string }{
		{"", "    format: { max_line_bytes: 10 }\n", "sources.s.format.max_line_bytes"},
		{"", "    format: { max_line_bytes: 1000000000 }\n", "sources.s.format.max_line_bytes"},
		{"max_run_time: -5m", "", "max_run_time"},
		{"", "    clock: { floor: 1900-02-30 }\n", "sources.s.clock.floor"},
		{"", "    clock: { floor: none }\n", ""},
		{"max_run_time: 2h", "    format: { max_line_bytes: 4194304 }\n", ""},
	}
	for _, c := range cases {
		_, err := Parse("/cfg/hrsync.yaml", []byte(strings.Replace(strings.Replace(base, "%s", c.top, 1), "%s", c.src, 1)))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q %q: %v", c.top, c.src, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "hrsync.yaml:")):
			t.Errorf("%q %q: err %v, want it to name %s and the line", c.top, c.src, err, c.want)
		}
	}
	c, err := Parse("/cfg/hrsync.yaml", []byte(strings.Replace(strings.Replace(base, "%s", "", 1), "%s", "", 1)))
	if err != nil || c.Sources["s"].Clock.Floor != DefaultFloor {
		t.Fatalf("floor %q (%v), want the default %s", c.Sources["s"].Clock.Floor, err, DefaultFloor)
	}
}
