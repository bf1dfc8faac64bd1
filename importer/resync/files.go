package resync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/importer/state"
	"github.com/hrsync/hrsync/internal/sqldb"
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
func windowFiles(ctx context.Context, db *sqldb.Bound, cfg *config.Config, src *config.Source, from, to time.Time) ([]string, error) {
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

// checkArchive refuses a resync of a source read from its inbox when the
// archive lacks files import settled (the ledger of the state says which):
// a data folder that did not outlive its run took them, and a resync
// without them would take their punches for gone and remove them from the
// HR table. The error names the archive folder and a missing file.
func checkArchive(ctx context.Context, st *state.Store, cfg *config.Config, src *config.Source) error {
	if !src.ReadsInbox() {
		return nil
	}
	settled, err := st.Ledger().SettledFiles(ctx, src.Name)
	if err != nil {
		return fmt.Errorf("source %s: ledger: %w", src.Name, err)
	}
	inbox := cfg.InboxDir(src)
	archive := filepath.Join(inbox, importer.ArchiveFolder)
	have := map[string]bool{}
	for _, d := range []string{archive, filepath.Join(inbox, importer.ErrorFolder)} {
		for _, p := range filesIn(d) {
			have[filepath.Base(p)] = true
		}
	}
	missing, first := 0, ""
	for _, p := range settled {
		if filepath.Dir(p) != inbox {
			continue // a file of an inbox configured elsewhere before
		}
		if !have[filepath.Base(p)] {
			if missing++; first == "" {
				first = filepath.Base(p)
			}
		}
	}
	if missing > 0 {
		return fmt.Errorf("source %s: the inbox archive %s is missing %d of the %d files import archived (%s first): "+
			"resync reads the punches from there, and without them it would remove them from the HR table; "+
			"keep the data folder on a volume that outlives the run, or restore the files", src.Name, archive, missing, len(settled), first)
	}
	return nil
}
