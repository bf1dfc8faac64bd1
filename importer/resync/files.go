package resync

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/sources"
)

// sourceFiles lists what a resync of a file source reads: the configured
// path, the source's inbox, and the data dir's inbox and archive folders
// for the source when they exist, each file once, in name order within
// each place. The window's punches may sit in any of them: the export
// still at its path, or moved on after an earlier import.
func sourceFiles(cfg *config.Config, src *config.Source) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		if !seen[abs] {
			seen[abs] = true
			out = append(out, p)
		}
	}
	configured, expandErr := sources.Expand(cfg.Resolve(src.Path))
	for _, p := range configured {
		add(p)
	}
	dataDir := cfg.Resolve(cfg.DataDir)
	dirs := []string{filepath.Join(dataDir, "inbox", src.Name), filepath.Join(dataDir, "archive", src.Name)}
	if src.Inbox != "" {
		dirs = append([]string{cfg.Resolve(src.Inbox)}, dirs...)
	}
	for _, d := range dirs {
		for _, p := range filesUnder(d) {
			add(p)
		}
	}
	if len(out) == 0 && expandErr != nil {
		return nil, expandErr
	}
	return out, nil
}

// filesUnder lists the regular files below dir (none when it is missing),
// leaving out hidden files and transfers in progress.
func filesUnder(dir string) []string {
	var files []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && strings.HasPrefix(name, ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".part") || strings.HasSuffix(name, ".tmp") {
			return nil
		}
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files
}
