package fetch

import (
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// inprocServer is pkg/sftp's server behind an x/crypto/ssh server on a
// loopback port, run inside the test: it checks a password, and can cut or
// stall connections after a number of bytes to inject faults.
type inprocServer struct {
	addr        string
	fingerprint string
	user, pass  string
	connections atomic.Int32
	// faultAfter, when > 0, ends the nth connections (1-based, see
	// faultConns) after this many bytes sent to the client.
	faultAfter int64
	faultConns map[int32]bool
	stall      bool // stall instead of closing
	mu         sync.Mutex
	listener   net.Listener
	stalled    []net.Conn
	done       chan struct{}
}

func startInproc(t *testing.T, configure func(*inprocServer)) *inprocServer {
	t.Helper()
	s := &inprocServer{user: "att", pass: "s3cret-pass", done: make(chan struct{})}
	if configure != nil {
		configure(s)
	}
	signer, err := ssh.NewSignerFromKey(newEd25519(t))
	if err != nil {
		t.Fatal(err)
	}
	s.fingerprint = ssh.FingerprintSHA256(signer.PublicKey())
	config := &ssh.ServerConfig{
		PasswordCallback: func(c ssh.ConnMetadata, pass []byte) (*ssh.Permissions, error) {
			if c.User() == s.user && string(pass) == s.pass {
				return nil, nil
			}
			return nil, errWrongPassword
		},
	}
	config.AddHostKey(signer)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.listener = l
	s.addr = l.Addr().String()
	t.Cleanup(func() {
		l.Close()
		close(s.done)
		s.mu.Lock()
		for _, c := range s.stalled {
			c.Close()
		}
		s.mu.Unlock()
	})
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			n := s.connections.Add(1)
			if s.faultAfter > 0 && (s.faultConns == nil || s.faultConns[n]) {
				conn = &faultyConn{Conn: conn, budget: s.faultAfter, stall: s.stall, server: s}
			}
			go s.serve(conn, config)
		}
	}()
	return s
}

var errWrongPassword = errors.New("wrong password")

func (s *inprocServer) serve(conn net.Conn, config *ssh.ServerConfig) {
	defer conn.Close()
	_, chans, reqs, err := ssh.NewServerConn(conn, config)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, requests, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for req := range requests {
				ok := req.Type == "subsystem" && len(req.Payload) > 4 && string(req.Payload[4:]) == "sftp"
				req.Reply(ok, nil)
				if ok {
					go func() {
						server, err := sftp.NewServer(ch)
						if err == nil {
							server.Serve()
						}
						ch.Close()
					}()
				}
			}
		}()
	}
}

// faultyConn cuts (or stalls) the connection once budget bytes were sent.
type faultyConn struct {
	net.Conn
	mu     sync.Mutex
	budget int64
	stall  bool
	server *inprocServer
}

func (c *faultyConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(len(b)) <= c.budget {
		c.budget -= int64(len(b))
		return c.Conn.Write(b)
	}
	if c.stall {
		c.server.mu.Lock()
		c.server.stalled = append(c.server.stalled, c.Conn)
		c.server.mu.Unlock()
		<-c.server.done // never answer again, until the test ends
	}
	c.Conn.Close()
	return 0, net.ErrClosed
}
