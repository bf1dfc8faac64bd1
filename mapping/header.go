package mapping

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeHeader makes a header cell comparable with a configured column
// name: byte-order marks removed, white space trimmed, inner runs of white
// space collapsed to one space, lower case. "\uFEFF Emp  No " → "emp no".
func NormalizeHeader(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	for _, r := range s {
		switch {
		case r == '\uFEFF':
			continue
		case unicode.IsSpace(r):
			pendingSpace = b.Len() > 0
			continue
		case r == utf8.RuneError:
			// keep invalid bytes visible rather than dropping them silently
		}
		if pendingSpace {
			b.WriteByte(' ')
			pendingSpace = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// headerLabel is a header cell as a person reads it in the file: the
// byte-order mark and surrounding white space removed, case kept.
func headerLabel(s string) string {
	return strings.TrimFunc(strings.ReplaceAll(s, "\uFEFF", ""), unicode.IsSpace)
}
