package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// directionCodes maps a raw code to its direction. Codes are matched
// trimmed and case-insensitively; keys are stored lower-cased, and the hot
// path lowers short ASCII values on the stack, as every row has one.
type directionCodes struct {
	byCode map[string]Direction
	spec   map[Direction][]string
}

// compileCodes builds the lookup. With no codes configured, the direction
// names themselves (in, out, break_out, ...) are the codes.
func compileCodes(codes map[Direction][]string) (directionCodes, error) {
	c := directionCodes{byCode: map[string]Direction{}, spec: codes}
	if len(codes) == 0 {
		c.spec = map[Direction][]string{}
		for _, d := range Directions {
			c.byCode[string(d)] = d
			c.spec[d] = []string{string(d)}
		}
		return c, nil
	}
	for _, d := range Directions { // stable order, so the first clash reported is stable too
		for _, raw := range codes[d] {
			code := strings.ToLower(trimValue(raw))
			if prev, dup := c.byCode[code]; dup && prev != d {
				return c, fmt.Errorf("code %q is given for both %s and %s", raw, prev, d)
			}
			c.byCode[code] = d
		}
	}
	for d := range codes {
		if !knownDirection(d) {
			return c, fmt.Errorf("unknown direction %q (known: %s)", d, directionList())
		}
	}
	return c, nil
}

func (c directionCodes) lookup(raw string) (Direction, bool) {
	v := trimValue(raw)
	var buf [32]byte
	if lower, ok := asciiLower(buf[:0], v); ok {
		// Keys hold no upper-case ASCII, so for ASCII values this one
		// lookup finds what the two below would. Indexing with
		// string(lower) does not allocate.
		d, ok := c.byCode[string(lower)]
		return d, ok
	}
	if d, ok := c.byCode[v]; ok {
		return d, true
	}
	d, ok := c.byCode[strings.ToLower(v)]
	return d, ok
}

// asciiLower appends s lower-cased to dst, as strings.ToLower would, when s
// is ASCII and fits dst's capacity; ok is false otherwise.
func asciiLower(dst []byte, s string) (lower []byte, ok bool) {
	if len(s) > cap(dst)-len(dst) {
		return dst, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return dst, false
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst, true
}

// describe lists the codes for a message: "in: 0, 4; out: 1, 5".
func (c directionCodes) describe() string {
	var parts []string
	for _, d := range Directions {
		codes := c.spec[d]
		if len(codes) == 0 {
			continue
		}
		quoted := make([]string, len(codes))
		for i, code := range codes {
			quoted[i] = code
			if code == "" || strings.ContainsAny(code, " ,;:") {
				quoted[i] = strconv.Quote(code)
			}
		}
		parts = append(parts, string(d)+": "+strings.Join(quoted, ", "))
	}
	return strings.Join(parts, "; ")
}
