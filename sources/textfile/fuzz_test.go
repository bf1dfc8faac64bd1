package textfile

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds arbitrary bytes through Open and Next with each delimiter
// and encoding setting: nothing may panic or loop forever.
func FuzzRead(f *testing.F) {
	seeds := []string{
		"id,time\n1,2024-03-01 08:00\n",
		"        1\t2024-03-01 08:00:05\t1\t0\t1\t0\n",
		"a,\"b\nc\",d\n\"unterminated\n",
		"\xEF\xBB\xBFa;b\n1;2\n",
		"\xFF\xFEa\x00\t\x00b\x00\n\x00",
		"a|b\n\xE9|\xB9\xA4\n",
		"\n\n \n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	delimiters := []string{"", ",", ";", "tab", "|", "whitespace"}
	encodings := []string{"", "utf-8", "utf-16le", "utf-16be", "gbk", "gb18030", "big5", "windows-1252", "windows-1258"}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		path := filepath.Join(dir, "fuzz.txt")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opt := fuzzOptions(setting, delimiters, encodings)
		r, err := Open(path, "fuzz", opt)
		if err != nil {
			return
		}
		defer r.Close()
		for range len(data) + 2 {
			row, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if row.Origin.Line < 1 {
				t.Fatalf("row with line %d", row.Origin.Line)
			}
		}
		t.Fatalf("more rows than bytes in %q", data)
	})
}

// fuzzOptions picks a reader's options from a fuzzed byte: the delimiter
// and the encoding from the lists, a header and a fallback encoding from
// its top bits.
func fuzzOptions(setting uint8, delimiters, encodings []string) Options {
	header := setting&0x80 != 0
	opt := Options{
		Delimiter: delimiters[int(setting)%len(delimiters)],
		Encoding:  encodings[int(setting>>3)%len(encodings)],
		Header:    &header,
	}
	if setting&0x40 != 0 {
		opt.Fallback = "windows-1252"
	}
	return opt
}
