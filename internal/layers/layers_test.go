// Package layers holds one test: no import of this module points up the
// layers. The rule is written once, in the table below; docs/architecture.md
// describes it.
package layers

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// layer is one row of the rule: the packages a pattern names sit at rank.
// A package may import only packages of a lower rank (a rank-0 package
// imports nothing of this module). Patterns are relative to the module path:
// "a/b" is that package, "a/..." is a and every package below it, ".../b" is
// every package whose last element is b. The most specific pattern wins: an
// exact path, then a ".../b" suffix, then the longest "a/..." prefix.
type layer struct {
	pattern string
	rank    int
	why     string
}

var layers = []layer{
	{"mapping", 0, "pure: the mapping spec and the shared types"},
	{"internal/...", 0, "leaves both sides share (sqldb, httpx, schedule, gen, bench/proc)"},
	{"internal/setting", -1, "below everything: the error an owner package returns for one bad setting, and the choice among its values (mapping uses it too)"},
	{"internal/pushstore", 1, "the push endpoint's durable store: received punches, device stamps, the device registry, the command queue; imports nothing of ours"},
	{"internal/outbox", 1, "the durable queue: the HTTP sink produces its events, the engine delivers them; uses internal/httpx"},
	{"sources/fetch/fetchtest", 1, "test servers (SFTP, FTP) for fetch and commands tests; imports nothing of ours"},
	{"sources/iclock/iclocksim", 1, "a simulated push device (HTTP client) for tests and benchmarks; imports nothing of ours"},
	{"sources/iclock", 2, "the ZKTeco push (ADMS/iclock) protocol as an http.Handler; stores through internal/pushstore"},
	{"sources/...", 2, "readers (textfile, sheet, sqlsrc), pull transports (fetch) and the ZKTeco device client (zk)"},
	{"sources/zk/zkemu", 1, "the ZKTeco device emulator for zk's tests and cmd/zkemu; imports nothing of ours (its encoders are written a second time on purpose)"},
	{"sinks", 1, "the punch-sink contract the engine and every punch sink share"},
	{"sinks/sinktest", 2, "the one suite every punch sink's tests run"},
	{"sinks/...", 3, "writers: the HR database, HTTPS punches, employee targets"},
	{"sources", 3, "Expand, OpenFile (picks a reader among sources/textfile and sources/sheet) and Table, the one employee-directory reader (files or a query)"},
	{"config", 4, "the YAML file; imports mapping, read by the engine and commands, never by sources or sinks"},
	{"importer/report", 3, "report files"},
	{"importer/state", 3, "run history, watermarks, pulled-file ledger (sources/fetch types)"},
	{"internal/sqldb/sqltest", 1, "a fresh schema or database per test on the test servers"},
	{"importer/runlock", 2, "the run lock: a file lock, or the state database's own (internal/sqldb)"},
	{"importer", 5, "the engine: wires sources, mapping, config, state and sinks"},
	{"importer/mapcheck", 6, "built on the engine"},
	{"importer/resync", 6, "built on the engine"},
	{"importer/pushusers", 6, "built on the engine"},
	{"console", 6, "the browser console, an http.Handler over the state, the outbox and the push registry; resync comes in through an interface"},
	{"commands", 7, "the cobra tree over all of the above"},
	{"cmd/hrsync", 8, "main"},
	{"cmd/zkemu", 8, "main of the device emulator"},
	{"examples", 8, "runnable examples (test files only)"},
	{"deploy/kubernetes", 8, "the Kubernetes manifests' checks (test files only)"},
	{".../bench", 8, "benchmark programs"},
	{"importer/deliverbench", 8, "benchmark program"},
	{"internal/bench/importbench", 8, "benchmark program"},
	{"internal/bench/xlsxbench", 8, "benchmark program"},
	{"internal/bench/abbench", 8, "benchmark program"},
	{"internal/bench/zkbench", 8, "benchmark program: device pull + import against an attlog import"},
	{"internal/bench/statebench", 8, "benchmark program: many configs on one PostgreSQL state, the lock, the state's size, a large import"},
}

// rankOf returns the rank of rel (a package path relative to the module) and
// the pattern that gave it; ok is false when no row names the package.
func rankOf(rel string) (rank int, pattern string, ok bool) {
	best := -1 // 3 exact, 2 suffix, 1 prefix; ties in prefix go to the longest
	for _, l := range layers {
		score := 0
		switch {
		case l.pattern == rel:
			score = 3
		case strings.HasPrefix(l.pattern, ".../") && (rel == l.pattern[4:] || strings.HasSuffix(rel, "/"+l.pattern[4:])):
			score = 2
		case strings.HasSuffix(l.pattern, "/..."):
			p := strings.TrimSuffix(l.pattern, "/...")
			if rel == p || strings.HasPrefix(rel, p+"/") {
				score = 1
			}
		}
		if score == 0 {
			continue
		}
		if score > best || (score == best && score == 1 && len(l.pattern) > len(pattern)) {
			best, rank, pattern = score, l.rank, l.pattern
		}
	}
	return rank, pattern, best > 0
}

// TestNoImportPointsUp lists every package of the module (for this GOOS and
// for windows, whose files import differently) and checks each import of a
// module package against the table. Test files are held to the same rule:
// TestImports and XTestImports are checked like Imports, except that an
// external test importing its own package is fine.
func TestNoImportPointsUp(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH; the layering test needs `go list`")
	}
	readSources(t, moduleRoot(t, gobin))
	for _, goos := range []string{"", "windows"} {
		name := goos
		if name == "" {
			name = "host"
		}
		t.Run(name, func(t *testing.T) { checkLayers(t, gobin, goos) })
	}
}

func checkLayers(t *testing.T, gobin, goos string) {
	root := moduleRoot(t, gobin)
	env := os.Environ()
	if goos != "" {
		env = append(env, "GOOS="+goos, "CGO_ENABLED=0")
	}
	module := strings.TrimSpace(run(t, gobin, root, env, "list", "-m"))
	out := run(t, gobin, root, env, "list", "-f",
		"{{.ImportPath}}|{{join .Imports \" \"}}|{{join .TestImports \" \"}}|{{join .XTestImports \" \"}}", "./...")

	rel := func(p string) (string, bool) {
		if p == module {
			return ".", true
		}
		if strings.HasPrefix(p, module+"/") {
			return p[len(module)+1:], true
		}
		return "", false
	}
	var bad []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 4 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		from, _ := rel(f[0])
		fromRank, fromPat, ok := rankOf(from)
		if !ok {
			bad = append(bad, from+": no row in the layers table names it; give it a rank")
			continue
		}
		kinds := []string{"imports", "test imports", "external test imports"}
		for i, list := range f[1:] {
			for _, imp := range strings.Fields(list) {
				to, ours := rel(imp)
				if !ours || (i == 2 && to == from) {
					continue
				}
				toRank, toPat, ok := rankOf(to)
				if !ok {
					bad = append(bad, from+" "+kinds[i]+" "+to+", which no row of the layers table names")
					continue
				}
				if toRank >= fromRank {
					bad = append(bad, from+" (rank "+strconv.Itoa(fromRank)+", "+fromPat+") "+kinds[i]+" "+to+
						" (rank "+strconv.Itoa(toRank)+", "+toPat+"): a package may import only lower ranks")
				}
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}

func moduleRoot(t *testing.T, gobin string) string {
	gomod := strings.TrimSpace(run(t, gobin, ".", os.Environ(), "env", "GOMOD"))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("go env GOMOD: not inside the module")
	}
	return filepath.Dir(gomod)
}

func run(t *testing.T, gobin, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(gobin, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return string(out)
}

// readSources opens every Go file of the module. go test caches a passing
// result against the files a test opens, and cannot see what `go list`
// read: without this, a cached pass would hide a new import.
func readSources(t *testing.T, root string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			_, err = os.ReadFile(path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
