package httpx

import (
	"errors"
	"strings"
	"testing"
)

func TestClipKeepsWholeCharacters(t *testing.T) {
	// Byte 3 is the middle of "à": the cut moves back before it.
	if got := Clip("ngày công", 3); got != "ng…" {
		t.Fatalf("Clip = %q", got)
	}
	if got := Clip("short", 10); got != "short" {
		t.Fatalf("Clip = %q", got)
	}
	if got := Snippet([]byte("  \xffbad " + strings.Repeat("x", 400))); len(got) > 303 || strings.ContainsRune(got, '\uFFFD') || !strings.HasPrefix(got, "bad") {
		t.Fatalf("Snippet = %q", got)
	}
}

func TestHideSecret(t *testing.T) {
	err := HideSecret(errors.New(`422: password "hunter2" is too weak`), "hunter2")
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "******") {
		t.Fatalf("err = %v", err)
	}
	if HideSecret(nil, "x") != nil {
		t.Fatal("nil error changed")
	}
}
