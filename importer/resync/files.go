package resync

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/sources"
)

// sourceFiles lists what a resync of a file source reads: the configured
// path, then the source's inbox and the inbox's archive folder (where
// import moves the files it has read) when they exist, each file once, in
// name order within each place. The window's punches may sit in any of
// them. The inbox's error folder is left out: its files could not be read.
func sourceFiles(cfg *config.Config, src *config.Source) ([]string, error) {
	return sourceFilesWith(cfg, src, nil)
}

// windowFiles is sourceFiles without the archived files whose time span,
// recorded when import archived them, lies outside [from, to)
// (importer.ArchiveFilesFor); without a state database, every file.
func windowFiles(ctx context.Context, db *sql.DB, cfg *config.Config, src *config.Source, from, to time.Time) ([]string, error) {
	if db == nil {
		return sourceFiles(cfg, src)
	}
	return sourceFilesWith(cfg, src, func(archived []string) ([]string, error) {
		return importer.ArchiveFilesFor(ctx, db, src, archived, from, to)
	})
}

func sourceFilesWith(cfg *config.Config, src *config.Source, archive func([]string) ([]string, error)) ([]string, error) {
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
	var expandErr error
	if src.Path != "" {
		var configured []string
		configured, expandErr = sources.Expand(src.Path)
		for _, p := range configured {
			add(p)
		}
	}
	inbox := cfg.InboxDir(src)
	for _, p := range filesIn(inbox) {
		add(p)
	}
	archived := filesIn(filepath.Join(inbox, importer.ArchiveFolder))
	if archive != nil {
		var err error
		if archived, err = archive(archived); err != nil {
			return nil, err
		}
	}
	for _, p := range archived {
		add(p)
	}
	if len(out) == 0 && expandErr != nil {
		return nil, expandErr
	}
	return out, nil
}

// filesIn lists the regular files directly in dir (none when it is
// missing), leaving out hidden files (transfers in progress are hidden
// .partial files) and the reason notes of the error folder.
func filesIn(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".reason.txt") {
			continue
		}
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
			files = append(files, filepath.Join(dir, name))
		}
	}
	sort.Strings(files)
	return files
}
