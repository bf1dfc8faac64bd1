package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"strings"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// openSSHReadSize is the read request size for OpenSSH servers, whose
// sftp-server answers reads of up to 261120 bytes whole.
const openSSHReadSize = 128 << 10

// sftpRemote is an SFTP session over one SSH connection.
type sftpRemote struct {
	endpoint string
	ssh      *ssh.Client
	client   *sftp.Client
}

// dialSFTP connects, verifies the host key and logs in.
func dialSFTP(ctx context.Context, ep endpoint) (*sftpRemote, error) {
	display := ep.server()
	fail := func(kind, err error) error {
		return &RemoteError{Op: "connect", Endpoint: display, Kind: kind, Err: err}
	}

	auth, err := sshAuthMethods(ep)
	if err != nil {
		return nil, fail(nil, err)
	}
	hostKeys, err := newHostKeyChecker(ep)
	if err != nil {
		return nil, fail(nil, err)
	}
	config := &ssh.ClientConfig{
		User:            ep.user,
		Auth:            auth,
		HostKeyCallback: hostKeys.check,
		Timeout:         ep.loc.ConnectTimeout,
	}

	dialer := net.Dialer{Timeout: ep.loc.ConnectTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", ep.host)
	if err != nil {
		return nil, fail(nil, err)
	}
	// The SSH handshake has no timeout of its own: bound it with a deadline.
	_ = conn.SetDeadline(time.Now().Add(ep.loc.ConnectTimeout))
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	sshConn, chans, reqs, err := ssh.NewClientConn(conn, ep.host, config)
	if err != nil {
		conn.Close()
		switch {
		case hostKeys.err != nil:
			return nil, hostKeys.err
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, fail(ErrAuth, fmt.Errorf("user %q was refused (wrong password or key?)", ep.user))
		case isTimeout(err):
			return nil, fail(ErrTimeout, err)
		}
		return nil, fail(nil, err)
	}
	_ = conn.SetDeadline(time.Time{})
	client := ssh.NewClient(sshConn, chans, reqs)

	// Concurrent reads are what makes File.WriteTo keep up with OpenSSH's
	// own sftp client: many requests in flight instead of one at a time.
	sc, err := sftp.NewClient(client, sftp.UseConcurrentReads(true), sftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		client.Close()
		return nil, fail(nil, fmt.Errorf("start sftp subsystem: %w", err))
	}
	// Larger read requests cut the per-request cost, but File.WriteTo takes
	// a short read for a gap, which our size check would then report as a
	// changing file. So only servers known to answer them whole get them:
	// OpenSSH's sftp-server advertises limits@openssh.com (8.6 and later)
	// and serves reads of up to 255 KiB.
	if _, ok := sc.HasExtension("limits@openssh.com"); ok {
		if err := sftp.MaxPacketUnchecked(openSSHReadSize)(sc); err != nil {
			sc.Close()
			client.Close()
			return nil, fail(nil, err)
		}
	}
	return &sftpRemote{endpoint: display, ssh: client, client: sc}, nil
}

func sshAuthMethods(ep endpoint) ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if ep.loc.PrivateKeyFile != "" {
		pem, err := os.ReadFile(ep.loc.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("private_key_file: %w", err)
		}
		var signer ssh.Signer
		if ep.loc.Passphrase != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase(pem, []byte(ep.loc.Passphrase))
		} else {
			signer, err = ssh.ParsePrivateKey(pem)
		}
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			return nil, fmt.Errorf("private_key_file %s is encrypted: set passphrase", ep.loc.PrivateKeyFile)
		}
		if err != nil {
			return nil, fmt.Errorf("private_key_file %s: %w", ep.loc.PrivateKeyFile, err)
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if ep.pass != "" {
		pass := ep.pass
		methods = append(methods, ssh.Password(pass),
			// Many servers ask for the password through keyboard-interactive.
			ssh.KeyboardInteractive(func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pass
				}
				return answers, nil
			}))
	}
	return methods, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (s *sftpRemote) fail(op, p string, err error) error {
	var kind error
	var status *sftp.StatusError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind = ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		kind = ErrPermission
	case errors.As(err, &status) && status.FxCode() == sftp.ErrSSHFxNoSuchFile:
		kind = ErrNotFound
	case errors.As(err, &status) && status.FxCode() == sftp.ErrSSHFxPermissionDenied:
		kind = ErrPermission
	}
	if kind != nil && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission)) {
		err = nil // the kind says it all
	}
	return &RemoteError{Op: op, Endpoint: s.endpoint, Path: p, Kind: kind, Err: unwrapPathError(err)}
}

func (s *sftpRemote) List(_ context.Context, dir string) ([]RemoteFile, error) {
	infos, err := s.client.ReadDir(dir)
	if err != nil {
		return nil, s.fail("list", dir, err)
	}
	var files []RemoteFile
	for _, info := range infos {
		if !info.Mode().IsRegular() {
			continue
		}
		files = append(files, RemoteFile{Path: s.Join(dir, info.Name()), Size: info.Size(), ModTime: info.ModTime()})
	}
	return files, nil
}

func (s *sftpRemote) Stat(_ context.Context, p string) (RemoteFile, error) {
	info, err := s.client.Stat(p)
	if err != nil {
		return RemoteFile{}, s.fail("stat", p, err)
	}
	return RemoteFile{Path: p, Size: info.Size(), ModTime: info.ModTime()}, nil
}

// Open returns the *sftp.File itself: its WriteTo reads with many requests
// in flight.
func (s *sftpRemote) Open(_ context.Context, p string) (io.ReadCloser, error) {
	f, err := s.client.Open(p)
	if err != nil {
		return nil, s.fail("open", p, err)
	}
	return f, nil
}

func (s *sftpRemote) Remove(_ context.Context, p string) error {
	if err := s.client.Remove(p); err != nil {
		return s.fail("remove", p, err)
	}
	return nil
}

func (s *sftpRemote) Rename(_ context.Context, from, to string) error {
	if err := s.client.Rename(from, to); err != nil {
		return s.fail("rename", from+" -> "+to, err)
	}
	return nil
}

func (s *sftpRemote) Join(dir, name string) string { return path.Join(dir, name) }

func (s *sftpRemote) Close() error {
	err := s.client.Close()
	if cerr := s.ssh.Close(); err == nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	return err
}
