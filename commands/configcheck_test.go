package commands

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckRejectsBadEncoding: config check refuses what import would,
// exiting 2 and naming the file, the line and the key.
func TestConfigCheckRejectsBadEncoding(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "hrsync.yaml")
	os.WriteFile(cfg, []byte("hr: { url: sqlite://hr.db }\nsources:\n  gate:\n    path: a.csv\n    format:\n      encoding: utf8x\n    mapping:\n      employee_key: { column: 1 }\n      time: { column: 2, layout: \"2006-01-02 15:04:05\" }\n"), 0o644)
	code, out, errOut := run("config", "check", "--config", cfg)
	if code != 2 {
		t.Fatalf("exit %d, want 2; stdout %q stderr %q", code, out, errOut)
	}
	if strings.Contains(out, "is valid") || !strings.Contains(errOut, `hrsync.yaml:6: sources.gate.format.encoding: unknown encoding "utf8x"`) {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
}
