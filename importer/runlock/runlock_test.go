package runlock

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSecondRunWaitsThenGivesUp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hrsync.lock")
	first, err := Acquire(ctx, path, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(ctx, path, 300*time.Millisecond)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("second acquire: %v, want ErrBusy naming the holder", err)
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	second, err := Acquire(ctx, path, 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	second.Release()
}
