package fetch

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// memLedger is the ledger the state store will be, in memory.
type memLedger struct {
	mu      sync.Mutex
	records map[string]string // key -> local path
}

func newLedger() *memLedger { return &memLedger{records: map[string]string{}} }

func ledgerKey(source string, f RemoteFile) string {
	return fmt.Sprintf("%s|%s|%d|%s", source, f.Path, f.Size, f.ModTime.UTC())
}

func (l *memLedger) Seen(_ context.Context, source string, f RemoteFile) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.records[ledgerKey(source, f)]
	return ok, nil
}

func (l *memLedger) Record(_ context.Context, source string, f RemoteFile, _ string, local string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records[ledgerKey(source, f)] = local
	return nil
}

func (l *memLedger) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.records)
}

// logBuffer collects log lines to check warnings and that no secret leaks.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testOptions() (Options, *logBuffer) {
	lb := &logBuffer{}
	return Options{Log: slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))}, lb
}

// writeFiles creates name -> content files in dir.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// inboxFiles returns the inbox's file names, partial files included.
func inboxFiles(t *testing.T, inbox string) []string {
	t.Helper()
	entries, err := os.ReadDir(inbox)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func outcomes(results []Result) map[string]Outcome {
	m := map[string]Outcome{}
	for _, r := range results {
		m[baseName(r.File.Path)] = r.Outcome
	}
	return m
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertNoPartials(t *testing.T, inbox string) {
	t.Helper()
	for _, n := range inboxFiles(t, inbox) {
		if strings.Contains(n, ".partial-") {
			t.Errorf("partial file left in inbox: %s", n)
		}
	}
}

func newEd25519(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}
