package httpx

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Clip cuts s to at most max bytes on a character boundary, marking a cut
// with "…". Replies are stored and shown clipped.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Snippet is the start of a reply body for an error message: valid UTF-8,
// trimmed, at most 300 bytes.
func Snippet(body []byte) string {
	return Clip(strings.TrimSpace(string(bytes.ToValidUTF8(body, nil))), 300)
}

// HideSecret replaces a secret that a server echoed into an error (a
// password in a validation message) with asterisks.
func HideSecret(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), secret, "******"))
}
