package textfile

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestLineLog: the lines asked for come back as written while the ring
// holds them whole, and not at all once it does not.
func TestLineLog(t *testing.T) {
	text := "h1,h2\nline 2\nline \"3\nstill 3\nline 5\r\nlast"
	l := &lineLog{src: iotest.OneByteReader(strings.NewReader(text)), size: 1 << 10, firstLine: 1}
	if _, err := io.ReadAll(l); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to int
		want     string
		ok       bool
	}{
		{1, 1, "h1,h2", true},
		{3, 4, "line \"3\nstill 3", true},
		{5, 5, "line 5", true},
		{6, 6, "last", true},
		{6, 7, "", false},
		{4, 3, "", false},
	} {
		if got, ok := l.lines(c.from, c.to); got != c.want || ok != c.ok {
			t.Errorf("lines(%d, %d) = %q %v, want %q %v", c.from, c.to, got, ok, c.want, c.ok)
		}
	}

	// A ring of 16 bytes over the same text keeps its tail only.
	small := &lineLog{src: strings.NewReader(text), size: 16, firstLine: 1}
	io.ReadAll(small)
	if got, ok := small.lines(6, 6); got != "last" || !ok {
		t.Errorf("the newest line: %q %v", got, ok)
	}
	if got, ok := small.lines(5, 5); got != "line 5" || !ok {
		t.Errorf("a line kept whole: %q %v", got, ok)
	}
	if got, ok := small.lines(2, 2); ok {
		t.Errorf("a line no longer kept came back: %q", got)
	}
}

// TestBrokenQuoteKeepsItsText: a line encoding/csv refuses comes with its
// text as written, so the report can show it.
func TestBrokenQuoteKeepsItsText(t *testing.T) {
	path := writeFile(t, "punches.csv", []byte("Pin,Time,Note\n1001,2025-12-01 08:00:00,ok\n1002,2025-12-01 09:00:00,say \"hi\"\n1003,2025-12-01 10:00:00,ok\n"))
	_, rows := readAll(t, path, Options{})
	var texts []string
	for _, row := range rows {
		if row.Err != nil {
			texts = append(texts, row.Text)
		}
	}
	if len(texts) != 1 || texts[0] != `1002,2025-12-01 09:00:00,say "hi"` {
		t.Fatalf("refused lines' text: %q", texts)
	}
}
