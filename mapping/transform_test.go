package mapping

import (
	"strings"
	"testing"
)

func TestTransforms(t *testing.T) {
	tests := []struct {
		name string
		ts   []Transform
		in   string
		want string
	}{
		{"trim spaces", []Transform{{Kind: TransformTrim}}, "  1001\t", "1001"},
		{"trim nbsp and bom", []Transform{{Kind: TransformTrim}}, "\uFEFF\u00a01001\u00a0", "1001"},
		{"strip leading zeros", []Transform{{Kind: TransformStripLeadingZeros}}, "000081", "81"},
		{"strip leading zeros keeps one zero", []Transform{{Kind: TransformStripLeadingZeros}}, "0000", "0"},
		{"strip leading zeros empty", []Transform{{Kind: TransformStripLeadingZeros}}, "", ""},
		{"strip leading zeros inner kept", []Transform{{Kind: TransformStripLeadingZeros}}, "0100", "100"},
		{"upper", []Transform{{Kind: TransformUpper}}, "e12é", "E12É"},
		{"lower", []Transform{{Kind: TransformLower}}, "E12", "e12"},
		{"strip prefix", []Transform{{Kind: TransformStripPrefix, Arg: "EMP"}}, "EMP001", "001"},
		{"strip prefix absent", []Transform{{Kind: TransformStripPrefix, Arg: "EMP"}}, "X001", "X001"},
		{"strip suffix", []Transform{{Kind: TransformStripSuffix, Arg: "@company"}}, "an@company", "an"},
		{"add prefix", []Transform{{Kind: TransformAddPrefix, Arg: "E"}}, "12", "E12"},
		{"add suffix", []Transform{{Kind: TransformAddSuffix, Arg: "x"}}, "12", "12x"},
		{"regex group", []Transform{{Kind: TransformRegex, Pattern: `^E0*(\d+)$`, Replace: "${1}"}}, "E00042", "42"},
		{"regex no match", []Transform{{Kind: TransformRegex, Pattern: `^E(\d+)$`, Replace: "$1"}}, "X42", "X42"},
		{"regex delete", []Transform{{Kind: TransformRegex, Pattern: `-`}}, "1-0-0-1", "1001"},
		{"lookup hit", []Transform{{Kind: TransformLookup, Table: map[string]string{"A1": "1001"}}}, "A1", "1001"},
		{"lookup miss unchanged", []Transform{{Kind: TransformLookup, Table: map[string]string{"A1": "1001"}}}, "B2", "B2"},
		{"chain in order", []Transform{{Kind: TransformTrim}, {Kind: TransformStripLeadingZeros}, {Kind: TransformAddPrefix, Arg: "E"}}, " 0042 ", "E42"},
		{"pad left", []Transform{{Kind: TransformPadLeft, Width: 5, Char: "0"}}, "181", "00181"},
		{"pad left longer kept", []Transform{{Kind: TransformPadLeft, Width: 2, Char: "0"}}, "181", "181"},
		{"suffix then pad", []Transform{{Kind: TransformStripSuffix, Arg: "@acmevn"}, {Kind: TransformPadLeft, Width: 5, Char: "0"}}, "181@acmevn", "00181"},
		{"none", nil, " x ", " x "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CompileTransforms(tt.ts)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if got := c.Apply(tt.in); got != tt.want {
				t.Errorf("compiled Apply(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := ApplyTransforms(tt.ts, tt.in); got != tt.want {
				t.Errorf("ApplyTransforms(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCompileTransformsErrors(t *testing.T) {
	tests := []struct {
		name string
		t    Transform
		want string
	}{
		{"unknown", Transform{Kind: "reverse", Line: 7}, `transform[0] (line 7): unknown transform "reverse"`},
		{"empty arg", Transform{Kind: TransformAddPrefix}, "add_prefix needs a non-empty value"},
		{"bad regex", Transform{Kind: TransformRegex, Pattern: "(", Line: 3}, `(line 3): regex pattern "(" does not compile`},
		{"no pattern", Transform{Kind: TransformRegex}, "regex needs a pattern"},
		{"empty lookup", Transform{Kind: TransformLookup}, "lookup needs at least one entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CompileTransforms([]Transform{tt.t})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	// A broken step is skipped by the one-off helper, never a panic.
	if got := ApplyTransforms([]Transform{{Kind: TransformRegex, Pattern: "("}, {Kind: TransformUpper}}, "a"); got != "A" {
		t.Errorf("ApplyTransforms with a broken step = %q, want %q", got, "A")
	}
}

func TestNormalizeHeader(t *testing.T) {
	tests := map[string]string{
		"Emp No":             "emp no",
		"\uFEFFEmp No":       "emp no",
		"  Emp \t  No  ":     "emp no",
		"EMP\u00a0NO":        "emp no",
		"Check  Time\r":      "check time",
		"":                   "",
		"   ":                "",
		"Mã nhân viên":       "mã nhân viên",
		"\uFEFF\uFEFF\"ID\"": "\"id\"",
	}
	for in, want := range tests {
		if got := NormalizeHeader(in); got != want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrimValue(t *testing.T) {
	for in, want := range map[string]string{
		"":               "",
		"x":              "x",
		" 42 ":           "42",
		"\u00a042\ufeff": "42",
		"\t\r\n":         "",
		"a b":            "a b",
		"\u3000全角\u3000": "全角",
		"é":              "é",
	} {
		if got := trimValue(in); got != want {
			t.Errorf("trimValue(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzTrimValue: the shortcut for values with visible ASCII at both ends
// trims exactly what strings.TrimFunc does.
func FuzzTrimValue(f *testing.F) {
	for _, s := range []string{"", "a", " a", "a ", "\ufeffa", "a\u00a0", "\x85", "~\x7f", "!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := trimValue(s), strings.TrimFunc(s, isSpaceOrBOM); got != want {
			t.Fatalf("trimValue(%q) = %q, want %q", s, got, want)
		}
	})
}
