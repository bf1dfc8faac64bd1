package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/jlaffaye/ftp"
)

// ftpRemote is one FTP control connection (with explicit TLS for ftps://).
// FTP runs one transfer at a time, so Pull uses it sequentially.
type ftpRemote struct {
	endpoint string
	conn     *ftp.ServerConn
	sockets  *socketTracker
}

// PlainFTPWarning is logged for ftp:// sources.
const PlainFTPWarning = "plain ftp:// sends the user name, the password and the files in clear text; use ftps:// or sftp:// where the server allows"

// socketTracker remembers every socket the FTP library opened, so that an
// idle timeout or a cancelled context can cut them all: closing the control
// connection alone leaves a blocked data-connection read hanging.
type socketTracker struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (t *socketTracker) add(c net.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conns = append(t.conns, c)
}

func (t *socketTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.conns {
		c.Close()
	}
	t.conns = nil
}

func dialFTP(ctx context.Context, ep endpoint) (*ftpRemote, error) {
	display := ep.server()
	fail := func(kind, err error) error {
		return &RemoteError{Op: "connect", Endpoint: display, Kind: kind, Err: err}
	}
	var tlsConfig *tls.Config
	if ep.scheme == "ftps" {
		host, _, _ := net.SplitHostPort(ep.host)
		tlsConfig = &tls.Config{ServerName: host, InsecureSkipVerify: ep.loc.InsecureSkipTLSVerify, MinVersion: tls.VersionTLS12,
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		if ep.loc.CACertFile != "" {
			pem, err := os.ReadFile(ep.loc.CACertFile)
			if err != nil {
				return nil, fail(nil, fmt.Errorf("ca_cert_file: %w", err))
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fail(nil, fmt.Errorf("ca_cert_file %s: no PEM certificate in it", ep.loc.CACertFile))
			}
			tlsConfig.RootCAs = pool
		}
	}

	sockets := &socketTracker{}
	dialer := net.Dialer{Timeout: ep.loc.ConnectTimeout}
	dialed := 0
	// The library skips TLS on data connections when given a dial function,
	// so this one wraps them itself: the first socket is the control
	// connection (upgraded by AUTH TLS), every later one carries data.
	dial := func(network, addr string) (net.Conn, error) {
		dctx := ctx // the connect context ends with the login; data connections come later
		if dialed > 0 {
			dctx = context.Background()
		}
		c, err := dialer.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		sockets.add(c)
		dialed++
		if tlsConfig != nil && dialed > 1 {
			return tls.Client(c, tlsConfig), nil
		}
		return c, nil
	}
	opts := []ftp.DialOption{ftp.DialWithDialFunc(dial), ftp.DialWithShutTimeout(ep.loc.IdleTimeout)}
	if tlsConfig != nil {
		opts = append(opts, ftp.DialWithExplicitTLS(tlsConfig))
	}

	// Bound the greeting, TLS handshake and login.
	timer := time.AfterFunc(ep.loc.ConnectTimeout, sockets.closeAll)
	defer timer.Stop()
	stop := context.AfterFunc(ctx, sockets.closeAll)
	defer stop()

	conn, err := ftp.Dial(ep.host, opts...)
	if err != nil {
		sockets.closeAll()
		return nil, fail(nil, explainTLS(err))
	}
	user := ep.user
	if user == "" {
		user = "anonymous"
	}
	if err := conn.Login(user, ep.pass); err != nil {
		sockets.closeAll()
		var te *textproto.Error
		if errors.As(err, &te) && (te.Code == ftp.StatusNotLoggedIn || te.Code == ftp.StatusUserOK) {
			return nil, fail(ErrAuth, fmt.Errorf("user %q was refused (wrong password?): %s", user, te.Msg))
		}
		return nil, fail(nil, explainTLS(err))
	}
	return &ftpRemote{endpoint: display, conn: conn, sockets: sockets}, nil
}

// explainTLS says what to do about an untrusted certificate. The handshake
// happens lazily, so this shows up at the greeting or at the login.
func explainTLS(err error) error {
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) || strings.Contains(err.Error(), "failed to verify certificate") {
		return fmt.Errorf("the server's TLS certificate is not trusted (set ca_cert_file to the CA that signed it): %w", err)
	}
	return err
}

func (f *ftpRemote) fail(op, p string, err error) error {
	var kind error
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 400 {
		// 550, 450 and 501 cover both "no such file" and "permission
		// denied": only the server's text tells them apart.
		msg := strings.ToLower(te.Msg)
		switch {
		case strings.Contains(msg, "permission") || strings.Contains(msg, "denied") || strings.Contains(msg, "access"):
			kind = ErrPermission
		case strings.Contains(msg, "no such") || strings.Contains(msg, "not found") || strings.Contains(msg, "not exist") || strings.Contains(msg, "doesn't exist"):
			kind = ErrNotFound
		}
	}
	return &RemoteError{Op: op, Endpoint: f.endpoint, Path: p, Kind: kind, Err: err}
}

func (f *ftpRemote) List(_ context.Context, dir string) ([]RemoteFile, error) {
	entries, err := f.conn.List(dir)
	if err != nil {
		return nil, f.fail("list", dir, err)
	}
	var files []RemoteFile
	for _, e := range entries {
		if e.Type != ftp.EntryTypeFile {
			continue
		}
		files = append(files, RemoteFile{Path: f.Join(dir, e.Name), Size: int64(e.Size), ModTime: e.Time})
	}
	return files, nil
}

// Stat uses MLST (or LIST), the same source of times as List, so that the
// two looks of the stability check compare like with like.
func (f *ftpRemote) Stat(_ context.Context, p string) (RemoteFile, error) {
	e, err := f.conn.GetEntry(p)
	if err != nil {
		return RemoteFile{}, f.fail("stat", p, err)
	}
	return RemoteFile{Path: p, Size: int64(e.Size), ModTime: e.Time}, nil
}

func (f *ftpRemote) Open(_ context.Context, p string) (io.ReadCloser, error) {
	r, err := f.conn.Retr(p)
	if err != nil {
		return nil, f.fail("open", p, err)
	}
	return r, nil
}

func (f *ftpRemote) Remove(_ context.Context, p string) error {
	if err := f.conn.Delete(p); err != nil {
		return f.fail("remove", p, err)
	}
	return nil
}

func (f *ftpRemote) Rename(_ context.Context, from, to string) error {
	if err := f.conn.Rename(from, to); err != nil {
		return f.fail("rename", from+" -> "+to, err)
	}
	return nil
}

func (f *ftpRemote) Join(dir, name string) string { return path.Join(dir, name) }

func (f *ftpRemote) Close() error {
	err := f.conn.Quit()
	f.sockets.closeAll()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
