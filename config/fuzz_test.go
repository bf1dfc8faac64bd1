package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary YAML to the config parser and its validation:
// an error or a config, never a panic.
func FuzzParse(f *testing.F) {
	for _, p := range []string{"../examples/quickstart/hrsync.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("sources:\n  s:\n    path: a.csv\n    format: { max_line_bytes: -1 }\n    mapping: { employee_key: { column: 1 }, time: { column: 2 } }\n"))
	f.Add([]byte("hr: { url: 'mysql://u@h/db', punches: { table: \"a`; DROP\" } }\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse(filepath.Join(dir, "hrsync.yaml"), data)
	})
}
