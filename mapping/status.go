package mapping

import "strings"

func normStatus(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
