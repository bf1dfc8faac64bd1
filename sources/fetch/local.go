package fetch

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// localRemote reads a folder on this machine or a UNC share
// (\\server\share\dir), which Windows reaches with the account's own rights.
type localRemote struct{ endpoint string }

func newLocal(ep endpoint) *localRemote { return &localRemote{endpoint: ep.display()} }

func (l *localRemote) fail(op, path string, err error) error {
	var kind error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		kind = ErrPermission
	}
	return &RemoteError{Op: op, Endpoint: "local", Path: path, Kind: kind, Err: unwrapPathError(err)}
}

// unwrapPathError drops os.PathError's own copy of the path, which
// RemoteError already prints.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func (l *localRemote) List(_ context.Context, dir string) ([]RemoteFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, l.fail("list", dir, err)
	}
	var files []RemoteFile
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return nil, l.fail("list", filepath.Join(dir, e.Name()), err)
		}
		files = append(files, RemoteFile{Path: filepath.Join(dir, e.Name()), Size: info.Size(), ModTime: info.ModTime()})
	}
	return files, nil
}

func (l *localRemote) Stat(_ context.Context, path string) (RemoteFile, error) {
	info, err := os.Stat(path)
	if err != nil {
		return RemoteFile{}, l.fail("stat", path, err)
	}
	return RemoteFile{Path: path, Size: info.Size(), ModTime: info.ModTime()}, nil
}

func (l *localRemote) Open(_ context.Context, path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, l.fail("open", path, err)
	}
	return f, nil
}

func (l *localRemote) Remove(_ context.Context, path string) error {
	if err := os.Remove(path); err != nil {
		return l.fail("remove", path, err)
	}
	return nil
}

func (l *localRemote) Rename(_ context.Context, from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return l.fail("rename", from, &fs.PathError{Op: "rename", Path: to, Err: fs.ErrExist})
	}
	if err := os.Rename(from, to); err != nil {
		return l.fail("rename", from, err)
	}
	return nil
}

func (l *localRemote) Join(dir, name string) string { return filepath.Join(dir, name) }

func (l *localRemote) Close() error { return nil }
