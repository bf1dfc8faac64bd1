package mapping

import "testing"

func TestLooksLikeFooter(t *testing.T) {
	for fields, want := range map[string]bool{
		"记录数:1649,,,,": true, "Total: 212": true, "合计,64": true, "Tổng cộng 212": true, "总记录数：65条": true, "Total": true,
		"1001,2024-01-02 08:00": false, "Total Gate,2024-01-02,08:00": false, "totalled": false, ",,,": false, "counter 1": false,
	} {
		if got := looksLikeFooter(splitComma(fields)); got != want {
			t.Errorf("%q: %v", fields, got)
		}
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
