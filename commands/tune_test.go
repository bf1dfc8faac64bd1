package commands

import (
	"runtime"
	"testing"

	"github.com/hrsync/hrsync/config"
)

// Imports into a database server get one P more than cores; SQLite and
// HTTP targets, and a GOMAXPROCS from the environment, keep theirs.
func TestTuneForServerImport(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, tc := range []struct {
		url, env string
		want     int
	}{
		{"postgres://hr@db/hr", "", runtime.NumCPU() + 1},
		{"mysql://hr@db/hr", "", runtime.NumCPU() + 1},
		{"sqlite://hr.db", "", runtime.NumCPU()},
		{"SQLite://hr.db", "", runtime.NumCPU()},
		{"https://hr.example.com/api", "", runtime.NumCPU()},
		{"postgres://hr@db/hr", "1", runtime.NumCPU()},
	} {
		runtime.GOMAXPROCS(runtime.NumCPU())
		t.Setenv("GOMAXPROCS", tc.env)
		cfg := &config.Config{}
		cfg.HR.URL = tc.url
		tuneForServerImport(cfg)
		if got := runtime.GOMAXPROCS(0); got != tc.want {
			t.Errorf("%s (GOMAXPROCS=%q): %d Ps, want %d", tc.url, tc.env, got, tc.want)
		}
	}
}
