package commands

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/sources/iclock/iclocksim"
)

func allow(t *testing.T, cfgPath string, serials ...string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, sn := range serials {
		st.Allow(ctx, sn, "", "")
	}
}

// TestServeGracefulStop: an upload whose body is still arriving when serve
// is told to stop is read, stored and answered "OK" before serve returns;
// a new connection after that is refused.
func TestServeGracefulStop(t *testing.T) {
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n")
	allow(t, cfgPath, "SLOW1")
	base, stop := startServe(t, cfgPath, serveOptions{})
	addr := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := iclocksim.AttLine("1", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), 0, 1) + "\n"
	fmt.Fprintf(conn, "POST /iclock/cdata?SN=SLOW1&table=ATTLOG&Stamp=1 HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	io.WriteString(conn, body[:5])
	time.Sleep(100 * time.Millisecond) // the request is in flight
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(200 * time.Millisecond) // serve is shutting down
	select {
	case err := <-stopped:
		t.Fatalf("serve returned with a request in flight: %v", err)
	default:
	}
	io.WriteString(conn, body[5:])
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(reply) != "OK: 1" {
		t.Fatalf("in-flight upload: %d %q", res.StatusCode, reply)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("serve still answers after it returned")
	}
}

// TestServeTLS: with serve.cert_file and serve.key_file (the console's
// spelling) the endpoint speaks HTTPS with the given certificate; the old
// serve.tls: { cert_file, key_file } still does, and config check names it
// deprecated.
func TestServeTLS(t *testing.T) {
	t.Run("cert_file", func(t *testing.T) { serveTLS(t, "  cert_file: %s\n  key_file: %s\n") })
	t.Run("old-tls", func(t *testing.T) { serveTLS(t, "  tls: { cert_file: %s, key_file: %s }\n") })
}

func serveTLS(t *testing.T, shape string) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	os.WriteFile(filepath.Join(dir, "serve.crt"), certPEM, 0o644)
	os.WriteFile(filepath.Join(dir, "serve.key"), keyPEM, 0o600)
	cfgPath := pushSetup(t, 1, "  listen: 127.0.0.1:0\n"+fmt.Sprintf(shape, filepath.Join(dir, "serve.crt"), filepath.Join(dir, "serve.key")))
	app, out, _ := testApp(cfgPath)
	if err := runConfigCheck(context.Background(), app, configCheckOptions{}); err != nil {
		t.Fatal(err)
	}
	if old := strings.Contains(shape, "tls:"); old != strings.Contains(out.String(), "deprecated: ") || old != strings.Contains(out.String(), "serve.cert_file") {
		t.Fatalf("config check of %q:\n%s", shape, out)
	}
	allow(t, cfgPath, "TLS1")
	base, stop := startServe(t, cfgPath, serveOptions{})
	defer stop()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	dev := &iclocksim.Device{Base: strings.Replace(base, "http://", "https://", 1), SN: "TLS1", Client: client}
	if code, opts, err := dev.Handshake(); err != nil || code != http.StatusOK || opts["FROM"] != "TLS1" {
		t.Fatalf("handshake over TLS: %d %v %v", code, opts, err)
	}
	// Plain HTTP to the TLS port gets net/http's 400, never options.
	if code, opts, _ := (&iclocksim.Device{Base: base, SN: "TLS1"}).Handshake(); code == http.StatusOK || opts["FROM"] != "" {
		t.Fatalf("plain HTTP was served: %d %v", code, opts)
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}
