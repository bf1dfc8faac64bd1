package mapping

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TransformKind names one value transform as it is written in the YAML config.
type TransformKind string

const (
	TransformTrim              TransformKind = "trim"
	TransformStripLeadingZeros TransformKind = "strip_leading_zeros"
	TransformUpper             TransformKind = "upper"
	TransformLower             TransformKind = "lower"
	TransformStripPrefix       TransformKind = "strip_prefix"
	TransformStripSuffix       TransformKind = "strip_suffix"
	TransformAddPrefix         TransformKind = "add_prefix"
	TransformAddSuffix         TransformKind = "add_suffix"
	TransformRegex             TransformKind = "regex"
	TransformLookup            TransformKind = "lookup"
	TransformPadLeft           TransformKind = "pad_left"
)

// transformKinds lists every kind in the order the docs and errors show them.
var transformKinds = []TransformKind{
	TransformTrim, TransformStripLeadingZeros, TransformUpper, TransformLower,
	TransformStripPrefix, TransformStripSuffix, TransformAddPrefix, TransformAddSuffix,
	TransformRegex, TransformLookup, TransformPadLeft,
}

func (k TransformKind) takesArg() bool {
	switch k {
	case TransformStripPrefix, TransformStripSuffix, TransformAddPrefix, TransformAddSuffix:
		return true
	}
	return false
}

func (k TransformKind) known() bool {
	for _, known := range transformKinds {
		if k == known {
			return true
		}
	}
	return false
}

// Transform is one step that rewrites a raw value before it is used.
// YAML forms: `trim`, `strip_leading_zeros`, `upper`, `lower`,
// {strip_prefix: "X"}, {strip_suffix: "@company"}, {add_prefix: "E"},
// {add_suffix: "x"}, {regex: {pattern: "...", replace: "..."}},
// {lookup: {"A1": "1001"}} and {pad_left: {width: 5, char: "0"}}.
//
// strip_leading_zeros keeps one zero of an all-zero value ("000" → "0").
// regex replaces every match (Go syntax; write ${1} rather than $1 when a
// letter or digit follows). lookup leaves values missing from its table
// unchanged. pad_left adds char in front of a shorter value until it is
// width characters long ("181" → "00181"); a longer value stays as it is.
type Transform struct {
	Kind    TransformKind
	Arg     string            // strip_prefix, strip_suffix, add_prefix, add_suffix
	Pattern string            // regex
	Replace string            // regex
	Table   map[string]string // lookup
	Width   int               // pad_left
	Char    string            // pad_left: one character
	Line    int               // YAML line it came from; 0 when built in code
}

// String renders the transform as it is written in YAML, for messages.
func (t Transform) String() string {
	switch {
	case t.Kind.takesArg():
		return fmt.Sprintf("{%s: %q}", t.Kind, t.Arg)
	case t.Kind == TransformRegex:
		return fmt.Sprintf("{regex: {pattern: %q, replace: %q}}", t.Pattern, t.Replace)
	case t.Kind == TransformLookup:
		return fmt.Sprintf("{lookup: %d entries}", len(t.Table))
	case t.Kind == TransformPadLeft:
		return fmt.Sprintf("{pad_left: {width: %d, char: %q}}", t.Width, t.Char)
	}
	return string(t.Kind)
}

// Transforms is a compiled list of transforms, ready to apply many times.
// The zero value applies nothing.
type Transforms struct {
	steps []transformStep
}

type transformStep struct {
	kind    TransformKind
	arg     string
	re      *regexp.Regexp
	replace string
	table   map[string]string
	width   int
	char    string
}

// CompileTransforms checks and compiles ts. Errors name the step (1-based)
// and its YAML line when known.
func CompileTransforms(ts []Transform) (Transforms, error) {
	var c Transforms
	for i, t := range ts {
		step, err := compileTransform(t)
		if err != nil {
			return Transforms{}, fmt.Errorf("transform[%d]%s: %w", i, atLine(t.Line), err)
		}
		c.steps = append(c.steps, step)
	}
	return c, nil
}

func compileTransform(t Transform) (transformStep, error) {
	step := transformStep{kind: t.Kind, arg: t.Arg, replace: t.Replace, table: t.Table, width: t.Width, char: t.Char}
	switch {
	case !t.Kind.known():
		return step, fmt.Errorf("unknown transform %q (known: %s)", t.Kind, knownTransformList())
	case t.Kind.takesArg():
		if t.Arg == "" {
			return step, fmt.Errorf("%s needs a non-empty value", t.Kind)
		}
	case t.Kind == TransformRegex:
		if t.Pattern == "" {
			return step, fmt.Errorf("regex needs a pattern")
		}
		re, err := regexp.Compile(t.Pattern)
		if err != nil {
			return step, fmt.Errorf("regex pattern %q does not compile: %w", t.Pattern, err)
		}
		step.re = re
	case t.Kind == TransformLookup:
		if len(t.Table) == 0 {
			return step, fmt.Errorf("lookup needs at least one entry")
		}
	case t.Kind == TransformPadLeft:
		if t.Width < 1 || t.Width > maxPadWidth {
			return step, fmt.Errorf("pad_left width %d: want 1 to %d", t.Width, maxPadWidth)
		}
		if utf8.RuneCountInString(t.Char) != 1 {
			return step, fmt.Errorf("pad_left char %q: want exactly one character, such as \"0\"", t.Char)
		}
	}
	return step, nil
}

func knownTransformList() string {
	names := make([]string, len(transformKinds))
	for i, k := range transformKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// Apply runs every step in order. It allocates only when a step has to
// build a new string (add_prefix, a changing upper/lower, a regex match).
func (c Transforms) Apply(s string) string {
	for i := range c.steps {
		s = c.steps[i].apply(s)
	}
	return s
}

// Len reports how many steps there are.
func (c Transforms) Len() int { return len(c.steps) }

func (st *transformStep) apply(s string) string {
	switch st.kind {
	case TransformTrim:
		return trimValue(s)
	case TransformStripLeadingZeros:
		return stripLeadingZeros(s)
	case TransformUpper:
		return strings.ToUpper(s)
	case TransformLower:
		return strings.ToLower(s)
	case TransformStripPrefix:
		return strings.TrimPrefix(s, st.arg)
	case TransformStripSuffix:
		return strings.TrimSuffix(s, st.arg)
	case TransformAddPrefix:
		return st.arg + s
	case TransformAddSuffix:
		return s + st.arg
	case TransformRegex:
		if st.re == nil {
			return s
		}
		return st.re.ReplaceAllString(s, st.replace)
	case TransformLookup:
		if v, ok := st.table[s]; ok {
			return v
		}
	case TransformPadLeft:
		if n := utf8.RuneCountInString(s); n < st.width {
			return strings.Repeat(st.char, st.width-n) + s
		}
	}
	return s
}

// maxPadWidth bounds pad_left: keys are short, and a typo such as 50000
// must not make every key a page long.
const maxPadWidth = 64

// ApplyTransforms applies ts to s for one-off use. It compiles on every
// call; hot paths should use CompileTransforms once. A step that does not
// compile (check with Spec.Validate first) leaves the value unchanged.
func ApplyTransforms(ts []Transform, s string) string {
	for _, t := range ts {
		step, err := compileTransform(t)
		if err != nil {
			continue
		}
		s = step.apply(s)
	}
	return s
}

// trimValue trims white space, including no-break spaces and a stray
// byte-order mark that spreadsheet exports leave behind.
func trimValue(s string) string {
	// Most values start and end in a visible ASCII character; they need
	// not be decoded rune by rune to learn there is nothing to trim.
	if s != "" && isVisibleASCII(s[0]) && isVisibleASCII(s[len(s)-1]) {
		return s
	}
	return strings.TrimFunc(s, isSpaceOrBOM)
}

func isVisibleASCII(c byte) bool { return '!' <= c && c <= '~' }

func isSpaceOrBOM(r rune) bool { return r == '\uFEFF' || unicode.IsSpace(r) }

func stripLeadingZeros(s string) string {
	i := 0
	for i < len(s) && s[i] == '0' {
		i++
	}
	if i == len(s) && i > 0 {
		return "0"
	}
	return s[i:]
}

func atLine(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", line)
}
