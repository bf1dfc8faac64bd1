package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestFor(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want Code
	}{
		{"nil", nil, OK},
		{"plain", errors.New("disk full"), Failed},
		{"usage", Usagef("--from %q: want a day", "x"), Usage},
		{"wrapped usage", fmt.Errorf("resync: %w", AsUsage(errors.New("bad"))), Usage},
		{"rejected", Incomplete(Rejected, "3 of 10 rows were rejected"), Rejected},
		{"queued", Incomplete(Queued, "2 batches wait in the outbox"), Queued},
		{"unreadable files", Incomplete(Failed, "1 file could not be read"), Failed},
	}
	for _, c := range cases {
		if got := For(c.err); got != c.want {
			t.Errorf("%s: For(%v) = %d, want %d", c.name, c.err, got, c.want)
		}
	}
	if AsUsage(nil) != nil {
		t.Error("AsUsage(nil) is not nil")
	}
}

func TestIsIncomplete(t *testing.T) {
	if !IsIncomplete(fmt.Errorf("run: %w", Incomplete(Rejected, "1 row rejected"))) {
		t.Error("a wrapped outcome is not recognised")
	}
	if IsIncomplete(errors.New("disk full")) || IsIncomplete(Usagef("bad")) {
		t.Error("a failure is taken for an outcome")
	}
}
