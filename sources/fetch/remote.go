package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// RemoteFile is one file as a listing saw it. Path is the full remote path.
type RemoteFile struct {
	Path    string
	Size    int64
	ModTime time.Time
}

// Remote is what Pull needs from a backend (local folder, SFTP, FTP): small
// on purpose, like rclone's Fs. Paths are the backend's own (slash-separated
// for SFTP and FTP, OS paths for local).
type Remote interface {
	// List returns the regular files directly inside dir.
	List(ctx context.Context, dir string) ([]RemoteFile, error)
	Stat(ctx context.Context, path string) (RemoteFile, error)
	// Open opens a file for reading from its start. Backends whose reader
	// implements io.WriterTo use it to stream faster (SFTP's concurrent reads).
	Open(ctx context.Context, path string) (io.ReadCloser, error)
	Remove(ctx context.Context, path string) error
	Rename(ctx context.Context, from, to string) error
	// Join builds a path inside dir.
	Join(dir, name string) string
	Close() error
}

// Sentinel kinds, for errors.Is on any error Pull returns or reports.
var (
	ErrAuth       = errors.New("authentication failed")
	ErrNotFound   = errors.New("not found")
	ErrPermission = errors.New("permission denied")
	ErrHostKey    = errors.New("host key not trusted")
	ErrTimeout    = errors.New("timed out")
)

// RemoteError names the endpoint and path an operation failed on. Kind is
// one of the sentinels above, or nil when the error is not classified.
type RemoteError struct {
	Op       string // "connect", "list", "stat", "open", "read", "remove", "rename"
	Endpoint string // scheme://user@host:port, never with a password
	Path     string
	Kind     error
	Err      error
}

func (e *RemoteError) Error() string {
	msg := e.Op + " " + e.Endpoint
	if e.Path != "" {
		msg += " path " + e.Path
	}
	if e.Kind != nil && e.Err != nil && e.Kind.Error() != e.Err.Error() {
		return fmt.Sprintf("%s: %v: %v", msg, e.Kind, e.Err)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return fmt.Sprintf("%s: %v", msg, e.Kind)
}

func (e *RemoteError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// retryable says whether trying again might help: not for a wrong
// password, an untrusted host key, a missing file or a denied permission.
func retryable(err error) bool {
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case errors.Is(err, ErrAuth), errors.Is(err, ErrHostKey), errors.Is(err, ErrNotFound), errors.Is(err, ErrPermission):
		return false
	}
	var changed *changedError
	var inbox *inboxError
	if errors.As(err, &changed) || errors.As(err, &inbox) {
		return false
	}
	return true
}
