package importer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/config"
)

func TestSourceFilesReadsOnlyFinishedInboxFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{Dir: dir, DataDir: filepath.Join(dir, "data")} // as parsing resolves it
	src := &config.Source{Name: "gate", Pull: &config.Pull{URL: "remote"}}
	if files, err := sourceFiles(cfg, src); err != nil || len(files) != 0 {
		t.Fatalf("missing inbox: %v %v", files, err)
	}
	inbox := cfg.InboxDir(src)
	for _, name := range []string{"b.csv", "a.csv", ".a.csv.partial-123", "archive/old.csv"} {
		os.MkdirAll(filepath.Dir(filepath.Join(inbox, name)), 0o755)
		os.WriteFile(filepath.Join(inbox, name), []byte("x"), 0o644)
	}
	files, err := sourceFiles(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if strings.Join(got, ",") != "a.csv,b.csv" {
		t.Fatalf("files %v", got)
	}
}

func TestMoveIntoKeepsEarlierVersions(t *testing.T) {
	dir := t.TempDir()
	to := filepath.Join(dir, "archive")
	tests := []struct{ name, want string }{
		{"att.csv", "att.csv"},
		{"att.csv", "att.2.csv"},
		{"att.csv", "att.3.csv"},
		{"noext", "noext"},
		{"noext", "noext.2"},
	}
	for i, tc := range tests {
		src := filepath.Join(dir, tc.name)
		os.WriteFile(src, []byte{byte(i)}, 0o644)
		got, err := moveInto(src, to)
		if err != nil || got != filepath.Join(to, tc.want) {
			t.Fatalf("move %d: %s, %v; want %s", i, got, err, tc.want)
		}
		if b, err := os.ReadFile(got); err != nil || b[0] != byte(i) {
			t.Fatalf("moved content %v %v", b, err)
		}
		if _, err := os.Stat(src); !os.IsNotExist(err) {
			t.Fatalf("source still there: %v", err)
		}
	}
}
