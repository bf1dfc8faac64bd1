// Package sources brings rows in from where they live: files, databases
// and the fetchers that copy remote files local.
package sources

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Expand turns a configured file pattern into the files to read, sorted by
// name so runs are repeatable. A plain path must exist; a glob (*, ?, [...])
// must match at least one file. Directories are never returned.
func Expand(pattern string) ([]string, error) {
	if !hasGlobMeta(pattern) {
		info, err := os.Stat(pattern)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open %s: no such file", pattern)
		}
		if err != nil {
			return nil, err
		}
		if info.IsDir() {
			return nil, fmt.Errorf("open %s: is a directory, not a file", pattern)
		}
		return []string{pattern}, nil
	}
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("file pattern %q: %w", pattern, err)
	}
	files := matches[:0]
	for _, m := range matches {
		if info, err := os.Stat(m); err == nil && !info.IsDir() {
			files = append(files, m)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("file pattern %q matches no file", pattern)
	}
	sort.Strings(files)
	return files, nil
}

// hasGlobMeta reports whether the pattern uses glob syntax. The backslash is
// left out: on Windows it separates directories.
func hasGlobMeta(pattern string) bool {
	return strings.ContainsAny(pattern, "*?[")
}
