package importer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/sources"
)

// A source with pull: and no path: is read from its inbox. After a run
// whose every batch was committed, import moves each file it read out of
// the inbox, into two folders inside it, so the inbox holds only what is
// still to do and the same file is not imported twice:
//
//	<inbox>/archive/   files read to the end (rejected rows are in the report)
//	<inbox>/error/     files that could not be read, each with <name>.reason.txt
//
// Both live inside the inbox so a move is a rename on the same drive, and
// import never reads them: it reads only the files directly in the inbox.

// Inbox subfolders.
const (
	ArchiveFolder = "archive"
	ErrorFolder   = "error"
)

// InboxMove is one file import moved out of an inbox.
type InboxMove struct {
	Source string
	From   string
	To     string
	Reason string // why it went to error/; empty for archive/
}

// sourceRead is what readFiles did with one source's files.
type sourceRead struct {
	src    *config.Source
	files  []string             // every file opened or tried
	failed map[string]string    // file -> why it could not be read
	spans  map[string]*fileSpan // file -> its rows' times (archivespans.go)
	cur    *fileSpan            // the span of the file being read
}

func newSourceRead(src *config.Source) *sourceRead {
	return &sourceRead{src: src, failed: map[string]string{}, spans: map[string]*fileSpan{}}
}

// opened, saw and fail do nothing on a nil *sourceRead (reads not tracked).
func (r *sourceRead) opened(path string) {
	if r != nil {
		r.files = append(r.files, path)
		r.cur = newFileSpan()
		r.spans[path] = r.cur
	}
}

// saw widens the span of the file being read by one of its rows.
func (r *sourceRead) saw(it *item) {
	if r != nil && r.cur != nil {
		r.cur.saw(it)
	}
}

func (r *sourceRead) fail(path string, err error) {
	if r != nil {
		r.failed[path] = err.Error()
	}
}

// sourceFiles lists the files a source reads: its path: (a file or a glob),
// or every file directly in its inbox, in name order. An empty or missing
// inbox is not an error: there is nothing to do yet.
func sourceFiles(cfg *config.Config, src *config.Source) ([]string, error) {
	if !src.ReadsInbox() {
		return sources.Expand(src.Path)
	}
	inbox := cfg.InboxDir(src)
	entries, err := os.ReadDir(inbox)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	var files []string
	for _, e := range entries {
		// Hidden files include pull's .partial downloads, still in flight.
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		files = append(files, filepath.Join(inbox, e.Name()))
	}
	sort.Strings(files)
	return files, nil
}

// settleInbox moves the inbox files a committed run read: to archive/, or
// to error/ with a note of the reason beside them.
func settleInbox(cfg *config.Config, reads []*sourceRead) ([]InboxMove, error) {
	var moves []InboxMove
	var errs []error
	for _, r := range reads {
		if !r.src.ReadsInbox() {
			continue
		}
		inbox := cfg.InboxDir(r.src)
		for _, file := range r.files {
			m := InboxMove{Source: r.src.Name, From: file}
			folder := ArchiveFolder
			if reason, bad := r.failed[file]; bad {
				folder, m.Reason = ErrorFolder, reason
			}
			to, err := moveInto(file, filepath.Join(inbox, folder))
			if err != nil {
				errs = append(errs, fmt.Errorf("inbox: move %s to %s/: %w", file, folder, err))
				continue
			}
			m.To = to
			if m.Reason != "" {
				note := to + ".reason.txt"
				if err := os.WriteFile(note, []byte(m.Reason+"\n"), 0o644); err != nil {
					errs = append(errs, fmt.Errorf("inbox: %w", err))
				}
			}
			moves = append(moves, m)
		}
	}
	return moves, errors.Join(errs...)
}

// moveInto renames file into dir, under its own name or, when that is
// taken (an earlier version of the same export), name.2.ext, name.3.ext ...
func moveInto(file, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := filepath.Base(file)
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for n := 1; n < 100000; n++ {
		to := filepath.Join(dir, name)
		if n > 1 {
			to = filepath.Join(dir, fmt.Sprintf("%s.%d%s", stem, n, ext))
		}
		if _, err := os.Lstat(to); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return to, os.Rename(file, to)
	}
	return "", fmt.Errorf("too many files named %s", name)
}
