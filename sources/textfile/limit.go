package textfile

import (
	"bufio"
	"fmt"
)

// DefaultMaxLineBytes is format.max_line_bytes when it is not set: no
// export line is near it, and a file with no line break (a 100 MB blob)
// stops at it instead of being held whole.
const DefaultMaxLineBytes = 1 << 20

// maxLineBytesCeiling keeps a configured limit within what one run may hold.
const maxLineBytesCeiling = 64 << 20

// ParseMaxLineBytes checks format.max_line_bytes (0: the default).
func ParseMaxLineBytes(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultMaxLineBytes, nil
	case n < 1024 || n > maxLineBytesCeiling:
		return 0, fmt.Errorf("%d: want 1024 to %d bytes (0 or unset: %d)", n, maxLineBytesCeiling, DefaultMaxLineBytes)
	}
	return n, nil
}

// LineTooLongError ends a file whose line (a record with the line breaks
// inside its quotes) is longer than the limit: reading on would hold it
// whole in memory.
type LineTooLongError struct {
	Limit int
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("a line longer than %d bytes, the limit format.max_line_bytes sets (a file without line breaks, or a quote that never closes?)", e.Limit)
}

// lineLimiter sits under the bufio.Reader the records are read from and
// refuses to fill it once the reader has taken more than limit bytes since
// the last mark (set before each record is read): encoding/csv and
// readLine gather a long record in memory, and this is where it stops.
type lineLimiter struct {
	src       interface{ Read([]byte) (int, error) }
	in        *bufio.Reader // the reader above, whose Buffered bytes are not taken yet
	limit     int64
	delivered int64
	markAt    int64
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	if l.in != nil && l.delivered-int64(l.in.Buffered())-l.markAt > l.limit {
		return 0, &LineTooLongError{Limit: int(l.limit)}
	}
	n, err := l.src.Read(p)
	l.delivered += int64(n)
	return n, err
}

// mark starts the count of the next record.
func (l *lineLimiter) mark() { l.markAt = l.delivered - int64(l.in.Buffered()) }
