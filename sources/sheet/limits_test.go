package sheet

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// readWhole opens a workbook and reads every row; it must end with an
// error or io.EOF, never a panic or an allocation past the limits.
func readWhole(path string) (int, error) {
	r, err := Open(path, "s", Options{})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		if _, err := r.Next(); err != nil {
			if err == io.EOF {
				return n, nil
			}
			return n, err
		}
		n++
	}
}

// TestFlippedHeaderBytes flips every byte of the compound-file header and
// of the rest of an .xls (its directory and BIFF records), one at a time: each read ends
// (rows or an error) within the memory the run has. A flipped byte here
// once made the reader allocate 27 GB.
func TestFlippedHeaderBytes(t *testing.T) {
	orig, err := os.ReadFile("testdata/workbook.xls")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	step := func(at int) int { // every byte of the header and the directory, then every 7th
		if at < 2048 {
			return 1
		}
		return 7
	}
	end := len(orig)
	if testing.Short() {
		end = 512
	}
	for at := 0; at < end; at += step(at) {
		for _, x := range []byte{0xFF, 0x01} {
			data := append([]byte(nil), orig...)
			data[at] ^= x
			p := filepath.Join(dir, "flipped.xls")
			if err := os.WriteFile(p, data, 0o600); err != nil {
				t.Fatal(err)
			}
			readWhole(p)
		}
	}
}
