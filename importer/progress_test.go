package importer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Progress counts the rows settled and the bytes read of the files' total;
// it never goes back, and ends with every byte and row counted.
func TestProgressCountsBytes(t *testing.T) {
	var b strings.Builder
	b.WriteString("Pin,Time\n")
	for i := range 12000 {
		fmt.Fprintf(&b, "1001,2025-12-01 %02d:%02d:%02d\n", i/3600%24, i/60%60, i%60)
	}
	cfg := setup(t, []byte(b.String()), "")
	fi, err := os.Stat(filepath.Join(cfg.Dir, "punches.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var seen []Progress
	if _, err := Import(context.Background(), Options{Config: cfg, DryRun: true, Progress: func(p Progress) { seen = append(seen, p) }}); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 3 {
		t.Fatalf("%d progress calls for 3 batches", len(seen))
	}
	for i, p := range seen {
		if p.TotalBytes != fi.Size() {
			t.Fatalf("call %d: total %d bytes, the file has %d", i, p.TotalBytes, fi.Size())
		}
		if i > 0 && (p.Bytes < seen[i-1].Bytes || p.Rows < seen[i-1].Rows) {
			t.Fatalf("progress went back: %+v after %+v", p, seen[i-1])
		}
	}
	if last := seen[len(seen)-1]; last.Rows != 12000 || last.Bytes != fi.Size() {
		t.Fatalf("last progress %+v, want 12000 rows and %d bytes", last, fi.Size())
	}

	// A sample reads an unknown part of the files: no total.
	seen = nil
	if _, err := Import(context.Background(), Options{Config: cfg, DryRun: true, NoState: true, Sample: 10, Progress: func(p Progress) { seen = append(seen, p) }}); err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 || seen[len(seen)-1].TotalBytes != 0 || seen[len(seen)-1].Rows != 10 {
		t.Fatalf("sample progress %+v", seen)
	}
}
