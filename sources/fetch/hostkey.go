package fetch

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Configuration key names the host key messages tell the user to set.
const (
	configKeyFingerprint = "host_key_fingerprint"
	configKeyKnownHosts  = "known_hosts"
)

// HostKeyError refuses a server whose SSH host key is not trusted. It prints
// the key the server presented so the user can check it and pin it.
type HostKeyError struct {
	Host        string // host:port
	KeyType     string // ssh-ed25519, ...
	Fingerprint string // SHA256:... of the key the server presented
	Mismatch    bool   // true: a different key was expected (possible attack); false: nothing known
	Expected    string // what was expected, for a mismatch
}

func (e *HostKeyError) Error() string {
	pin := fmt.Sprintf("%s: %q", configKeyFingerprint, e.Fingerprint)
	if e.Mismatch {
		return fmt.Sprintf("sftp %s: HOST KEY MISMATCH: the server presented %s %s, but %s was expected; "+
			"someone may be intercepting the connection, or the server was reinstalled. "+
			"Only if the server's administrator confirms the new key, set %s (or update the %s file)",
			e.Host, e.KeyType, e.Fingerprint, e.Expected, pin, configKeyKnownHosts)
	}
	return fmt.Sprintf("sftp %s: unknown host key %s %s; check it with the server's administrator "+
		"(ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the server), then pin it with %s (or add the host to a %s file)",
		e.Host, e.KeyType, e.Fingerprint, pin, configKeyKnownHosts)
}

func (e *HostKeyError) Unwrap() error { return ErrHostKey }

// hostKeyChecker trusts a key that matches the pinned fingerprint or the
// known_hosts file. It keeps the refusal, since the SSH library flattens it.
type hostKeyChecker struct {
	pinned     string
	knownHosts ssh.HostKeyCallback
	insecure   bool
	err        *HostKeyError
}

func newHostKeyChecker(ep endpoint) (*hostKeyChecker, error) {
	c := &hostKeyChecker{insecure: ep.loc.InsecureSkipHostKeyCheck}
	if fp := strings.TrimSpace(ep.loc.HostKeyFingerprint); fp != "" {
		if !strings.HasPrefix(fp, "SHA256:") {
			return nil, fmt.Errorf("%s %q: want the SHA256:... form printed by ssh-keygen -lf", configKeyFingerprint, fp)
		}
		c.pinned = strings.TrimRight(fp, "=")
	}
	if ep.loc.KnownHostsFile != "" {
		cb, err := knownhosts.New(ep.loc.KnownHostsFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", configKeyKnownHosts, err)
		}
		c.knownHosts = cb
	}
	return c, nil
}

func (c *hostKeyChecker) check(host string, remote net.Addr, key ssh.PublicKey) error {
	if c.insecure {
		return nil
	}
	fp := ssh.FingerprintSHA256(key)
	if c.pinned != "" && fp == c.pinned {
		return nil
	}
	refusal := &HostKeyError{Host: host, KeyType: key.Type(), Fingerprint: fp}
	if c.pinned != "" {
		refusal.Mismatch = true
		refusal.Expected = "the pinned " + c.pinned
	}
	if c.knownHosts != nil {
		err := c.knownHosts(host, remote, key)
		if err == nil {
			return nil
		}
		var keyErr *knownhosts.KeyError
		if !errors.As(err, &keyErr) {
			return err
		}
		if len(keyErr.Want) > 0 {
			refusal.Mismatch = true
			var want []string
			for _, k := range keyErr.Want {
				want = append(want, fmt.Sprintf("%s %s (%s:%d)", k.Key.Type(), ssh.FingerprintSHA256(k.Key), k.Filename, k.Line))
			}
			refusal.Expected = strings.Join(want, " or ")
		}
	}
	c.err = refusal
	return refusal
}
