package fetch

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// namedRemote is a backend whose listing holds whatever names a hostile
// or broken server sends.
type namedRemote struct{ names []string }

func (r namedRemote) List(context.Context, string) ([]RemoteFile, error) {
	var fs []RemoteFile
	for _, n := range r.names {
		fs = append(fs, RemoteFile{Path: n, Size: int64(len(n)), ModTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	return fs, nil
}

func (r namedRemote) Stat(_ context.Context, p string) (RemoteFile, error) {
	return RemoteFile{Path: p, Size: int64(len(p)), ModTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, nil
}

func (r namedRemote) Open(_ context.Context, p string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(p)), nil
}
func (namedRemote) Remove(context.Context, string) error         { return nil }
func (namedRemote) Rename(context.Context, string, string) error { return nil }
func (namedRemote) Join(dir, name string) string                 { return dir + "/" + name }
func (namedRemote) Close() error                                 { return nil }

// TestHostileRemoteNamesStayInTheInbox: a listing with "../../x", a
// Windows drive or device path, separators of either kind, or characters
// Windows refuses in a name never writes outside the inbox; what is
// pulled lands directly inside it under a name every OS can hold.
func TestHostileRemoteNamesStayInTheInbox(t *testing.T) {
	root := t.TempDir()
	inbox := filepath.Join(root, "a", "b", "inbox")
	names := []string{"../../x", `..\..\y.csv`, `C:\evil.csv`, "C:evil2.csv", "/etc/passwd", "sub/../../z.csv",
		"..", ".", "nul:.csv", "a<b>|?*.csv", "tab\tname.csv", `\\server\share\w.csv`}
	opts := Options{Dial: func(context.Context, Location) (Remote, error) { return namedRemote{names}, nil }}
	loc := Location{URL: filepath.Join(root, "remote"), Pattern: "*", StableFor: -1}
	if _, err := Pull(context.Background(), "gate", loc, inbox, newLedger(), opts); err != nil {
		t.Logf("pull: %v", err)
	}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if filepath.Dir(p) != inbox {
			t.Errorf("a file landed outside the inbox: %s", p)
		}
		if base := filepath.Base(p); strings.ContainsAny(base, `:<>|?*"\`+"\t") {
			t.Errorf("inbox name %q holds a character Windows refuses", base)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("inbox: %v", inboxFiles(t, inbox))
}
