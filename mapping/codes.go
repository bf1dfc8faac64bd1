package mapping

import (
	"fmt"
	"strconv"
	"strings"
)

// directionCodes maps a raw code to its direction. Codes are matched
// trimmed and case-insensitively; keys are stored lower-cased so the hot
// path lowers (and allocates) only when the value has upper-case letters.
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
	if d, ok := c.byCode[v]; ok {
		return d, true
	}
	d, ok := c.byCode[strings.ToLower(v)]
	return d, ok
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
