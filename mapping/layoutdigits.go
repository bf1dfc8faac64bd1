package mapping

import (
	"fmt"
	"strings"
)

// layoutTokens are Go's reference-time tokens, longest first, with the
// part of a time each one reads.
var layoutTokens = []struct{ tok, part string }{
	{"January", "month"}, {"Monday", "weekday"}, {"2006", "year"}, {"_2", "day"}, {"002", "day of the year"},
	{"Jan", "month"}, {"Mon", "weekday"}, {"MST", "zone"},
	{"01", "month"}, {"02", "day"}, {"03", "hour"}, {"04", "minute"}, {"05", "second"}, {"06", "year"}, {"15", "hour"},
	{"1", "month"}, {"2", "day"}, {"3", "hour"}, {"4", "minute"}, {"5", "second"},
}

// repeatedLayoutPart finds a part of the time a layout reads twice: the
// sign that text meant literally ("Ca 2", "GMT+7", a shift number) holds
// reference digits, which Go reads as a day, an hour, a month. Fraction
// digits (.000, .999) and zone offsets (-0700, Z07:00) are skipped.
func repeatedLayoutPart(layout string) (part, first, second string, found bool) {
	seen := map[string]string{}
	for i := 0; i < len(layout); {
		c := layout[i]
		if (c == '.' || c == ',') && i+1 < len(layout) && (layout[i+1] == '0' || layout[i+1] == '9') {
			i++
			for i < len(layout) && (layout[i] == '0' || layout[i] == '9') {
				i++
			}
			continue
		}
		if c == '-' || c == '+' || c == 'Z' {
			j := i + 1
			for j < len(layout) && (layout[j] >= '0' && layout[j] <= '9' || layout[j] == ':') {
				j++
			}
			if z := layout[i+1 : j]; strings.HasPrefix(z, "07") {
				i = j
				continue
			}
		}
		matched := false
		for _, t := range layoutTokens {
			if strings.HasPrefix(layout[i:], t.tok) {
				if prev, ok := seen[t.part]; ok {
					return t.part, prev, t.tok, true
				}
				seen[t.part] = t.tok
				i += len(t.tok)
				matched = true
				break
			}
		}
		if !matched {
			i++
		}
	}
	return "", "", "", false
}

// literalDigitsHint explains a repeated part; "" when there is none.
func literalDigitsHint(layout string) string {
	part, a, b, ok := repeatedLayoutPart(layout)
	if !ok {
		return ""
	}
	return fmt.Sprintf("layout %q reads the %s twice (%q and %q): Go layouts cannot quote digits, so text such as \"Ca 2\" or \"GMT+7\" is read as part of the time; "+
		"take the text off the value with the field's transform (for example transform: [{regex: {pattern: \"^Ca \\\\d+ \", replace: \"\"}}]) and keep only the date and time in the layout", layout, part, a, b)
}
