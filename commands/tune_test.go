package commands

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/hrsync/hrsync/config"
)

// Imports into a database server get one P more than cores and a higher
// soft memory limit; SQLite and HTTP targets keep theirs, and GOMAXPROCS or
// GOMEMLIMIT from the environment win.
func TestTuneForServerImport(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	const base = memoryLimit
	for _, tc := range []struct {
		url, procsEnv, limitEnv string
		wantProcs               int
		wantLimit               int64
	}{
		{"postgres://hr@db/hr", "", "", runtime.NumCPU() + 1, serverImportMemoryLimit},
		{"mysql://hr@db/hr", "", "", runtime.NumCPU() + 1, serverImportMemoryLimit},
		{"sqlite://hr.db", "", "", runtime.NumCPU(), base},
		{"SQLite://hr.db", "", "", runtime.NumCPU(), base},
		{"https://hr.example.com/api", "", "", runtime.NumCPU(), base},
		{"postgres://hr@db/hr", "1", "", runtime.NumCPU(), serverImportMemoryLimit},
		{"postgres://hr@db/hr", "", "200MiB", runtime.NumCPU() + 1, base},
	} {
		runtime.GOMAXPROCS(runtime.NumCPU())
		debug.SetMemoryLimit(base)
		t.Setenv("GOMAXPROCS", tc.procsEnv)
		t.Setenv("GOMEMLIMIT", tc.limitEnv)
		cfg := &config.Config{}
		cfg.HR.URL = tc.url
		tuneForServerImport(cfg)
		if got := runtime.GOMAXPROCS(0); got != tc.wantProcs {
			t.Errorf("%s (GOMAXPROCS=%q): %d Ps, want %d", tc.url, tc.procsEnv, got, tc.wantProcs)
		}
		if got := debug.SetMemoryLimit(-1); got != tc.wantLimit {
			t.Errorf("%s (GOMEMLIMIT=%q): memory limit %d, want %d", tc.url, tc.limitEnv, got, tc.wantLimit)
		}
	}
}
