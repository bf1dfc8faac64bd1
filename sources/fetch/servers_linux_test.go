//go:build linux

package fetch

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hrsync/hrsync/sources/fetch/fetchtest"
)

// serverUser is who the test servers run as. As root, that is "nobody":
// root reads a chmod 000 file, so permission errors could not be tested.
type serverUser struct {
	name     string
	uid, gid int
	cred     *syscall.Credential // nil: run as ourselves
}

func testServerUser(t testing.TB) serverUser {
	t.Helper()
	if os.Getuid() != 0 {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		return serverUser{name: u.Username, uid: os.Getuid(), gid: os.Getgid()}
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("running as root and there is no user nobody to run test servers as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return serverUser{name: "nobody", uid: uid, gid: gid, cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
}

// serverDir is a folder the server user can read and write, removed at the end.
func serverDir(t testing.TB, su serverUser) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hrsync-fetch-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chownTree hands a folder tree to the server user.
func chownTree(t testing.TB, su serverUser, root string) {
	t.Helper()
	if su.cred != nil {
		fetchtest.ChownTree(t, root, su.uid, su.gid)
	}
}

// sshdServer is OpenSSH's sshd on a loopback port with a throwaway host key
// (fetchtest starts it), seen through the names these tests use.
type sshdServer struct {
	addr           string
	port           int
	user           string
	userKeyFile    string // private key, 0600, owned by us
	fingerprint    string // SHA256 of the host key
	knownHostsFile string
	data           string // the folder to serve files from, owned by the server user
	su             serverUser
}

func startSSHD(t testing.TB) *sshdServer {
	t.Helper()
	s := fetchtest.StartSSHD(t)
	su := serverUser{name: s.User, uid: s.UID, gid: s.GID}
	if s.AsOther {
		su.cred = &syscall.Credential{Uid: uint32(s.UID), Gid: uint32(s.GID)}
	}
	return &sshdServer{addr: s.Addr, port: s.Port, user: s.User, userKeyFile: s.UserKeyFile, fingerprint: s.Fingerprint,
		knownHostsFile: s.KnownHostsFile, data: s.Data, su: su}
}

func freePort(t testing.TB) int { return fetchtest.FreePort(t) }

// ftpServer is pyftpdlib on a loopback port, optionally with explicit TLS.
type ftpServer struct {
	addr       string
	user, pass string
	data       string
	caFile     string // for TLS: the self-signed certificate to trust
	su         serverUser
}

const ftpScript = `
import sys
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
port, user, password, home, cert = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
auth = DummyAuthorizer()
auth.add_user(user, password, home, perm="elradfmw")
handler = FTPHandler
if cert:
    from pyftpdlib.handlers import TLS_FTPHandler
    handler = TLS_FTPHandler
    handler.certfile = cert
    handler.tls_control_required = True
    handler.tls_data_required = True
handler.authorizer = auth
handler.passive_ports = range(40000, 40100)
server = FTPServer(("127.0.0.1", int(port)), handler)
server.serve_forever()
`

func findPyftpdlib(t testing.TB, withTLS bool) string {
	t.Helper()
	check := "import pyftpdlib"
	if withTLS {
		check += ", OpenSSL"
	}
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", check).Run(); err == nil {
			return py
		}
	}
	t.Skip("pyftpdlib not installed: apt-get install -y python3-pyftpdlib python3-openssl")
	return ""
}

func startFTP(t testing.TB, withTLS bool) *ftpServer {
	t.Helper()
	py := findPyftpdlib(t, withTLS)
	su := testServerUser(t)
	dir := serverDir(t, su)
	s := &ftpServer{user: "att", pass: "ftp-s3cret", data: filepath.Join(dir, "home"), su: su}
	if err := os.MkdirAll(s.data, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "server.py")
	if err := os.WriteFile(script, []byte(ftpScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cert := ""
	if withTLS {
		cert = filepath.Join(dir, "server.pem")
		s.caFile = filepath.Join(t.TempDir(), "ca.pem")
		writeSelfSigned(t, cert, s.caFile)
	}
	chownTree(t, su, dir)
	port := freePort(t)
	s.addr = fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(py, script, strconv.Itoa(port), s.user, s.pass, s.data, cert)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: su.cred}
	fetchtest.StartAndWait(t, cmd, s.addr, "pyftpdlib")
	return s
}

// writeSelfSigned writes a certificate for 127.0.0.1 with its key (for the
// server) and the certificate alone (for the client to trust).
func writeSelfSigned(t testing.TB, serverPEM, caPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certBlock := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyBlock := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(serverPEM, append(append([]byte{}, certBlock...), keyBlock...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(caPEM, certBlock, 0o644); err != nil {
		t.Fatal(err)
	}
}

// grepLog reports whether any line of text contains all the words.
func grepLog(text string, words ...string) bool {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(sc.Text(), w)
		}
		if ok {
			return true
		}
	}
	return false
}
