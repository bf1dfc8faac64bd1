//go:build linux

// Package fetchtest starts OpenSSH's sshd on a loopback port for tests of
// code that pulls over SFTP, the way the fetch package's own tests do. A
// test that calls StartSSHD is skipped when sshd or ssh-keygen is missing
// (apt-get install -y openssh-server openssh-client).
package fetchtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// SSHD is a running sshd with a throwaway host key and user key.
type SSHD struct {
	Addr           string // 127.0.0.1:port
	Port           int
	User           string // who logs in: the current user, or "nobody" when tests run as root
	UserKeyFile    string // the user's private key (no passphrase)
	Fingerprint    string // SHA256:... of the host key
	KnownHostsFile string // a known_hosts file trusting the host key
	Data           string // a folder the user can read and write; put files here
	// UID and GID are the server user's; AsOther says sshd runs as that
	// other user (tests running as root serve "nobody").
	UID, GID int
	AsOther  bool
}

// StartSSHD starts sshd for the test and stops it at the test's end.
func StartSSHD(t testing.TB) *SSHD {
	t.Helper()
	const sshd = "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Skipf("sshd not installed (%v): apt-get install -y openssh-server", err)
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skipf("ssh-keygen not installed: %v", err)
	}
	s := &SSHD{}
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		// As root, sshd serves "nobody", so the files are not root's.
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("running as root and there is no user nobody to run sshd as: %v", err)
		}
		s.User, s.AsOther = "nobody", true
		s.UID, _ = strconv.Atoi(u.Uid)
		s.GID, _ = strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(s.UID), Gid: uint32(s.GID)}
	} else {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		s.User = u.Username
	}
	dir, err := os.MkdirTemp("", "hrsync-sshd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Data = filepath.Join(dir, "data")
	hostKey := filepath.Join(dir, "host_ed25519")
	s.UserKeyFile = filepath.Join(t.TempDir(), "user_ed25519")
	for _, key := range []string{hostKey, s.UserKeyFile} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	pub, err := os.ReadFile(s.UserKeyFile + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, pub, 0o644); err != nil {
		t.Fatal(err)
	}
	hostPub, err := os.ReadFile(hostKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pk, _, _, _, err := ssh.ParseAuthorizedKey(hostPub)
	if err != nil {
		t.Fatal(err)
	}
	s.Fingerprint = ssh.FingerprintSHA256(pk)
	s.Port = FreePort(t)
	s.Addr = fmt.Sprintf("127.0.0.1:%d", s.Port)
	s.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(s.KnownHostsFile, []byte(fmt.Sprintf("[127.0.0.1]:%d %s", s.Port, hostPub)), 0o644); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "sshd_config")
	// UsePAM yes: without it sshd refuses accounts with a locked password
	// (nobody's "*"), and key login needs no password.
	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
StrictModes no
PidFile none
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
LogLevel VERBOSE
`, s.Port, hostKey, authorized)
	if err := os.WriteFile(config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.Data, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Chown(t, dir)
	if !s.AsOther && os.Getuid() == 0 {
		_ = os.MkdirAll("/run/sshd", 0o755) // privilege separation directory
	}
	cmd := exec.Command(sshd, "-D", "-e", "-f", config)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	StartAndWait(t, cmd, s.Addr, "sshd")
	return s
}

// Chown hands a folder tree (e.g. files written into Data) to the server's
// user, so it can read, move and delete them.
func (s *SSHD) Chown(t testing.TB, root string) {
	t.Helper()
	if s.AsOther {
		ChownTree(t, root, s.UID, s.GID)
	}
}

// ChownTree gives every file and folder under root to uid:gid.
func ChownTree(t testing.TB, root string, uid, gid int) {
	t.Helper()
	err := filepath.Walk(root, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// FreePort returns a loopback port nothing listens on.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartAndWait starts a test server and waits until its port accepts
// connections; it is stopped, and its log shown on failure, at the test's end.
func StartAndWait(t testing.TB, cmd *exec.Cmd, addr, name string) {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), name+".log")
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("%s log:\n%s", name, b)
		}
	})
	for i := 0; i < 200; i++ {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logFile)
			exited <- err
			t.Fatalf("%s exited: %v\n%s", name, err, b)
		default:
		}
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %s", name, addr)
}
