package textfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// readAll reads every row and returns how many came and the error that ended them.
func readAllLimited(t *testing.T, path string, opt Options) (int, error) {
	t.Helper()
	r, err := Open(path, "s", opt)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func TestLineLimit(t *testing.T) {
	long := strings.Repeat("x", 3<<20)
	cases := []struct {
		name, text string
		opt        Options
		rows       int
		tooLong    bool
	}{
		{"one line without a break", long, Options{}, 0, true},
		{"a long line after the header", "id,time\n1,2025-01-01 08:00\n2," + long + "\n3,x\n", Options{}, 1, true},
		{"a quote that never closes", "id,time\n1,\"" + strings.Repeat("a,b\n", 1<<20), Options{}, 0, true},
		{"whitespace log", "1 2025-01-01 08:00:00\n" + long + "\n", Options{Delimiter: "whitespace"}, 1, true},
		{"raised limit", "id,time\n1," + long + "\n", Options{MaxLineBytes: 4 << 20}, 1, false},
		{"just under", "id,time\n1," + strings.Repeat("y", 1<<19) + "\n", Options{}, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := readAllLimited(t, writeTemp(t, "f.csv", c.text), c.opt)
			var tl *LineTooLongError
			if got := errors.As(err, &tl); got != c.tooLong {
				t.Fatalf("err = %v, want too long %v", err, c.tooLong)
			}
			if c.tooLong && !strings.Contains(err.Error(), "f.csv: line ") {
				t.Errorf("error %q does not name the file and line", err)
			}
			if n != c.rows {
				t.Errorf("%d rows before the end, want %d", n, c.rows)
			}
		})
	}
}

func TestParseMaxLineBytes(t *testing.T) {
	for n, ok := range map[int]bool{0: true, 1024: true, 100: false, -1: false, 1 << 30: false} {
		if _, err := ParseMaxLineBytes(n); (err == nil) != ok {
			t.Errorf("ParseMaxLineBytes(%d) = %v", n, err)
		}
	}
}
