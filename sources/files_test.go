package sources

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"attlog_20240302.dat", "attlog_20240301.dat", "attlog_20240310.dat", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "attlog_dir.dat"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := func(names ...string) []string {
		for i, n := range names {
			names[i] = filepath.Join(dir, n)
		}
		return names
	}
	tests := []struct {
		name    string
		pattern string
		want    []string
		err     string
	}{
		{name: "glob sorted by name, directories left out", pattern: filepath.Join(dir, "attlog_*.dat"),
			want: in("attlog_20240301.dat", "attlog_20240302.dat", "attlog_20240310.dat")},
		{name: "question mark", pattern: filepath.Join(dir, "attlog_2024030?.dat"),
			want: in("attlog_20240301.dat", "attlog_20240302.dat")},
		{name: "plain path", pattern: filepath.Join(dir, "notes.txt"), want: in("notes.txt")},
		{name: "plain path missing", pattern: filepath.Join(dir, "gone.txt"), err: "open " + filepath.Join(dir, "gone.txt") + ": no such file"},
		{name: "plain path is a directory", pattern: dir, err: "is a directory"},
		{name: "glob matches nothing", pattern: filepath.Join(dir, "*.csv"), err: `file pattern "` + filepath.Join(dir, "*.csv") + `" matches no file`},
		{name: "bad glob", pattern: filepath.Join(dir, "[.csv"), err: "syntax error in pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.pattern)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want it to contain %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
