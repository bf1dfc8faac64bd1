package textfile

import (
	"bytes"
	"io"
)

// lineLogSize is what lineLog keeps: more than the read buffer
// (sampleSize) holds ahead of the record csv refused, plus the record; small
// enough to stay in the cache, as every byte of the file passes through it
// (1 MiB cost 5-8% of a MariaDB import's client CPU, in memmove).
const lineLogSize = 256 << 10

// lineLog passes the decoded text through and keeps its most recent bytes
// in a ring, so that a line encoding/csv refuses (a broken quote) can still
// go into the report as it was written. It keeps bytes, not lines, so the
// cost on the way through is one copy and, once the ring is full, one count
// of the line breaks it overwrites.
type lineLog struct {
	src  io.Reader
	size int    // the ring's size: lineLogSize, smaller in tests
	ring []byte // size bytes once the first read came
	w    int    // where the next byte goes
	full bool   // the ring has wrapped: ring[w:] is older than ring[:w]
	// firstLine is the 1-based line the oldest kept byte belongs to.
	firstLine int
}

func newLineLog(src io.Reader) *lineLog { return &lineLog{src: src, size: lineLogSize, firstLine: 1} }

func (l *lineLog) Read(p []byte) (int, error) {
	n, err := l.src.Read(p)
	if l.ring == nil && n > 0 {
		l.ring = make([]byte, l.size)
	}
	for data := p[:n]; len(data) > 0; {
		k := min(len(data), len(l.ring)-l.w)
		if l.full {
			l.firstLine += bytes.Count(l.ring[l.w:l.w+k], []byte{'\n'})
		}
		copy(l.ring[l.w:], data[:k])
		l.w += k
		data = data[k:]
		if l.w == len(l.ring) {
			l.w, l.full = 0, true
		}
	}
	return n, err
}

// kept is what the ring holds, oldest first.
func (l *lineLog) kept() []byte {
	if !l.full {
		return l.ring[:l.w]
	}
	return append(append([]byte(nil), l.ring[l.w:]...), l.ring[:l.w]...)
}

// lines returns lines from to to (1-based, inclusive) as read, without
// their final line break; ok is false when they are no longer (or not
// yet) kept whole, so the caller leaves the text out rather than cut it.
func (l *lineLog) lines(from, to int) (text string, ok bool) {
	if from < l.firstLine || to < from {
		return "", false
	}
	rest := l.kept()
	if from == l.firstLine && l.full {
		// the oldest byte may sit inside the line: only a line that
		// starts in the ring is whole.
		return "", false
	}
	for line := l.firstLine; line < from; line++ {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return "", false
		}
		rest = rest[nl+1:]
	}
	end := 0
	for line := from; line <= to; line++ {
		nl := bytes.IndexByte(rest[end:], '\n')
		if nl < 0 {
			if line == to && end+len(rest[end:]) > 0 {
				end = len(rest) // the last line of the file has no break
				break
			}
			return "", false
		}
		end += nl + 1
	}
	return string(bytes.TrimRight(rest[:end], "\r\n")), true
}
