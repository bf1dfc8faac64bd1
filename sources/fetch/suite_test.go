package fetch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// backendEnv is one backend under test: a Location whose URL points at the
// folder data on this machine, and fixOwner to hand new files to the
// server's user.
type backendEnv struct {
	loc      Location
	data     string
	fixOwner func(t *testing.T)
	// urlFor returns the URL of another remote folder below data.
	urlFor func(sub string) string
	// skipPermission says why a chmod 000 file cannot be tested (root reads it).
	skipPermission string
}

// runBackendSuite is the conformance suite every backend passes: the same
// behaviour through Pull, and the same error kinds through the Remote.
func runBackendSuite(t *testing.T, env backendEnv) {
	ctx := context.Background()
	loc := env.loc
	loc.Pattern = "att_*.dat"
	loc.StableFor = -1

	writeFiles(t, env.data, map[string]string{"att_1.dat": "one\n", "att_2.dat": "two\n", "other.txt": "no"})
	env.fixOwner(t)
	inbox := t.TempDir()
	ledger := newLedger()

	t.Run("pull then skip", func(t *testing.T) {
		results, err := Pull(ctx, "gate", loc, inbox, ledger, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(results); len(got) != 2 || got["att_1.dat"] != Pulled || got["att_2.dat"] != Pulled {
			t.Fatalf("outcomes = %v", got)
		}
		for _, r := range results {
			want := map[string]string{"att_1.dat": "one\n", "att_2.dat": "two\n"}[baseName(r.File.Path)]
			if got := readFile(t, r.LocalPath); got != want || r.SHA256 != sha(want) || r.Bytes != int64(len(want)) {
				t.Errorf("%s: content %q sha %s bytes %d", r.LocalPath, got, r.SHA256, r.Bytes)
			}
		}
		assertNoPartials(t, inbox)
		results, err = Pull(ctx, "gate", loc, inbox, ledger, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(results); got["att_1.dat"] != SkippedAlreadyPulled || got["att_2.dat"] != SkippedAlreadyPulled {
			t.Fatalf("second run outcomes = %v", got)
		}
	})

	t.Run("changed file keeps both versions", func(t *testing.T) {
		writeFiles(t, env.data, map[string]string{"att_1.dat": "one, corrected\n"})
		env.fixOwner(t)
		results, err := Pull(ctx, "gate", loc, inbox, ledger, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(results); got["att_1.dat"] != Pulled {
			t.Fatalf("outcomes = %v", got)
		}
		if got := readFile(t, filepath.Join(inbox, "att_1.v2.dat")); got != "one, corrected\n" {
			t.Errorf("v2 = %q", got)
		}
		if got := readFile(t, filepath.Join(inbox, "att_1.dat")); got != "one\n" {
			t.Errorf("original = %q", got)
		}
	})

	t.Run("missing folder", func(t *testing.T) {
		missing := loc
		missing.URL = env.urlFor("no_such_folder")
		_, err := Pull(ctx, "gate", missing, t.TempDir(), newLedger(), Options{})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no_such_folder") {
			t.Fatalf("err = %v, want not found naming the folder", err)
		}
		t.Log(err)
	})

	t.Run("permission denied", func(t *testing.T) {
		if env.skipPermission != "" {
			t.Skip(env.skipPermission)
		}
		writeFiles(t, env.data, map[string]string{"att_3.dat": "locked\n"})
		env.fixOwner(t)
		if err := os.Chmod(filepath.Join(env.data, "att_3.dat"), 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(filepath.Join(env.data, "att_3.dat"), 0o644)
		results, err := Pull(ctx, "gate", loc, inbox, ledger, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var locked *Result
		for i := range results {
			if baseName(results[i].File.Path) == "att_3.dat" {
				locked = &results[i]
			}
		}
		if locked == nil || locked.Outcome != Failed || !strings.Contains(strings.ToLower(locked.Reason), "permission denied") ||
			!strings.Contains(locked.Reason, "att_3.dat") {
			t.Fatalf("locked file result = %+v", locked)
		}
		t.Log(locked.Reason)
		assertNoPartials(t, inbox)

		r, err := Dial(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		_, err = r.Open(ctx, r.Join(mustFolder(t, loc), "att_3.dat"))
		if !errors.Is(err, ErrPermission) {
			t.Errorf("Open: err = %v, want ErrPermission", err)
		}
	})

	t.Run("after pull move and delete", func(t *testing.T) {
		writeFiles(t, env.data, map[string]string{"mv_1.dat": "move me\n", "rm_1.dat": "delete me\n"})
		if err := os.MkdirAll(filepath.Join(env.data, "archive"), 0o755); err != nil {
			t.Fatal(err)
		}
		env.fixOwner(t)
		move := loc
		move.Pattern, move.AfterPull = "mv_*.dat", AfterPullMove
		move.ArchiveDir = mustFolder(t, loc) + "/archive"
		if env.loc.URL == env.data { // local
			move.ArchiveDir = filepath.Join(env.data, "archive")
		}
		results, err := Pull(ctx, "gate", move, inbox, ledger, Options{})
		if err != nil || len(results) != 1 || results[0].Outcome != Pulled || results[0].Reason != "" {
			t.Fatalf("move: %+v, %v", results, err)
		}
		if _, err := os.Stat(filepath.Join(env.data, "archive", "mv_1.dat")); err != nil {
			t.Errorf("not moved: %v", err)
		}
		del := loc
		del.Pattern, del.AfterPull = "rm_*.dat", AfterPullDelete
		results, err = Pull(ctx, "gate", del, inbox, ledger, Options{})
		if err != nil || len(results) != 1 || results[0].Outcome != Pulled || results[0].Reason != "" {
			t.Fatalf("delete: %+v, %v", results, err)
		}
		if _, err := os.Stat(filepath.Join(env.data, "rm_1.dat")); !os.IsNotExist(err) {
			t.Errorf("not deleted: %v", err)
		}
	})
}

func mustFolder(t *testing.T, loc Location) string {
	t.Helper()
	dir, err := Folder(loc)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLocalBackend(t *testing.T) {
	data := t.TempDir()
	skip := ""
	if os.Getuid() == 0 {
		// The SFTP and FTP suites run their servers as nobody instead.
		skip = "running as root: a chmod 000 file stays readable"
	}
	runBackendSuite(t, backendEnv{skipPermission: skip,
		loc: Location{URL: data}, data: data, fixOwner: func(*testing.T) {},
		urlFor: func(sub string) string { return filepath.Join(data, sub) },
	})
}
