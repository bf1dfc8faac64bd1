package mapcheck

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hrsync/hrsync/mapping"
)

// Lookup finds the employee a key belongs to, as the import does
// (importer.Directory.Lookup).
type Lookup func(key string) *mapping.Employee

// DirectoryView is what map-check needs of the employee directory.
type DirectoryView struct {
	Employees    []mapping.Employee
	Match        []string            // fields a key is tried against, in order
	KeyTransform []mapping.Transform // hr.employees.key_transform
	Lookup       Lookup
	// WithKeyTransform builds the same directory with another key
	// transform, to check a proposed hr.employees.key_transform.
	WithKeyTransform func([]mapping.Transform) (Lookup, error)
}

// nearFinder proposes, for a key that matches no employee, the transform
// that would make it match: leading zeros, a prefix or suffix (such as
// "@company"), case, white space. Candidates come from an index of the
// directory by each key's "core" (lower-case letters and digits; and the
// digits alone without leading zeros), and every proposal is checked by
// running it through the real transforms and the directory's own lookup.
type nearFinder struct {
	dir    *DirectoryView
	byCore map[string][]dirKey
	alt    map[string]Lookup // key_transform YAML → lookup built with it
}

type dirKey struct {
	value string
	field string
	emp   *mapping.Employee
}

const maxPerCore = 4

func newNearFinder(d *DirectoryView) *nearFinder {
	f := &nearFinder{dir: d, byCore: map[string][]dirKey{}, alt: map[string]Lookup{}}
	for i := range d.Employees {
		e := &d.Employees[i]
		for _, field := range d.Match {
			v := strings.TrimSpace(e.Field(field))
			if v == "" {
				continue
			}
			for _, c := range cores(v) {
				if len(f.byCore[c]) < maxPerCore {
					f.byCore[c] = append(f.byCore[c], dirKey{value: v, field: field, emp: e})
				}
			}
		}
	}
	return f
}

// cores are the forms two keys that differ only by zeros, case, spaces or
// an affix share: letters and digits lower-cased, and the one run of digits
// without its leading zeros when there is exactly one.
func cores(s string) []string {
	var alnum, digits strings.Builder
	runs := 0
	inRun := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			alnum.WriteRune(unicode.ToLower(r))
		}
		if r >= '0' && r <= '9' {
			if !inRun {
				runs++
			}
			inRun = true
			digits.WriteRune(r)
		} else {
			inRun = false
		}
	}
	out := []string{"a:" + alnum.String()}
	if runs == 1 {
		out = append(out, "d:"+stripZeros(digits.String()))
	}
	return out
}

func stripZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" && s != "" {
		return "0"
	}
	return t
}

// variants are cut-down forms of a source key whose cores may meet a
// directory key: the part before an "@", the part after a leading
// separator-delimited prefix.
func variants(s string) []string {
	out := []string{s}
	if i := strings.IndexByte(s, '@'); i > 0 {
		out = append(out, s[:i])
	}
	if i := strings.IndexAny(s, "-_/:"); i > 0 && i < len(s)-1 {
		out = append(out, s[i+1:], s[:i])
	}
	return out
}

// proposal is a fix for one key: steps to append to the source's
// employee_key transforms, and steps for hr.employees.key_transform.
type proposal struct {
	source []mapping.Transform
	dir    []mapping.Transform
	match  dirKey
}

func (p proposal) size() int { return len(p.source) + 2*len(p.dir) }

// find returns the smallest checked proposal for key, or false.
func (f *nearFinder) find(key string) (proposal, bool) {
	seen := map[string]bool{}
	var best proposal
	found := false
	for _, v := range variants(key) {
		for _, c := range cores(v) {
			for _, cand := range f.byCore[c] {
				if seen[cand.value] {
					continue
				}
				seen[cand.value] = true
				p, ok := derive(key, cand.value)
				if !ok {
					continue
				}
				p.match = cand
				if e := f.check(key, p); e == nil {
					continue
				} else {
					p.match.emp = e
				}
				if !found || p.size() < best.size() {
					best, found = p, true
				}
			}
		}
	}
	return best, found
}

// check runs the proposal through the real transforms and lookup.
func (f *nearFinder) check(key string, p proposal) *mapping.Employee {
	tf, err := mapping.CompileTransforms(p.source)
	if err != nil {
		return nil
	}
	k := tf.Apply(key)
	lookup := f.dir.Lookup
	if len(p.dir) > 0 {
		kt := append(append([]mapping.Transform(nil), f.dir.KeyTransform...), p.dir...)
		name := transformsYAML(kt)
		l, ok := f.alt[name]
		if !ok {
			if f.dir.WithKeyTransform != nil {
				l, _ = f.dir.WithKeyTransform(kt)
			}
			f.alt[name] = l
		}
		lookup = l
	}
	if lookup == nil {
		return nil
	}
	return lookup(k)
}

// derive works out the steps that turn source key s into directory key d.
func derive(s, d string) (proposal, bool) {
	var p proposal
	t := s
	if tr := strings.TrimSpace(t); tr != t {
		p.source = append(p.source, mapping.Transform{Kind: mapping.TransformTrim})
		t = tr
	}
	if strings.ContainsFunc(t, unicode.IsSpace) && !strings.ContainsFunc(d, unicode.IsSpace) {
		p.source = append(p.source, mapping.Transform{Kind: mapping.TransformRegex, Pattern: `\s+`, Replace: ""})
		t = strings.Join(strings.Fields(t), "")
	}
	fold := strings.ToLower
	tl, dl := fold(t), fold(d)
	sameLen := len(tl) == len(t) && len(dl) == len(d)
	switch {
	case tl == dl:
	case sameLen && strings.Contains(tl, dl):
		i := strings.Index(tl, dl)
		pre, suf := t[:i], t[i+len(d):]
		p.source = append(p.source, stripPrefixSteps(pre)...)
		if suf != "" {
			p.source = append(p.source, mapping.Transform{Kind: mapping.TransformStripSuffix, Arg: suf})
		}
		t = t[i : i+len(d)]
	case sameLen && strings.Contains(dl, tl):
		i := strings.Index(dl, tl)
		pre, suf := d[:i], d[i+len(t):]
		if pre != "" && strings.Trim(pre, "0") == "" && suf == "" {
			// The HR system pads with zeros: pad the source key to its width.
			p.source = append(p.source, mapping.Transform{Kind: mapping.TransformPadLeft, Width: utf8.RuneCountInString(d), Char: "0"})
			return p, true // case is checked by the lookup
		} else if pre != "" && strings.Trim(pre, "0") == "" {
			// Zeros and a suffix: compare without the zeros on both sides.
			p.dir = append(p.dir, mapping.Transform{Kind: mapping.TransformStripLeadingZeros})
		} else if pre != "" {
			p.source = append(p.source, mapping.Transform{Kind: mapping.TransformAddPrefix, Arg: pre})
		}
		if suf != "" {
			p.source = append(p.source, mapping.Transform{Kind: mapping.TransformAddSuffix, Arg: suf})
		}
		t = d[:i] + t + d[i+len(t):]
		if len(p.dir) > 0 {
			return p, true // case is checked by the lookup
		}
	case stripZeros(tl) == stripZeros(dl):
		p.source = append(p.source, mapping.Transform{Kind: mapping.TransformStripLeadingZeros})
		p.dir = append(p.dir, mapping.Transform{Kind: mapping.TransformStripLeadingZeros})
		return p, true
	default:
		q, ok := deriveAfterCut(t, d)
		if !ok {
			return p, false
		}
		q.source = append(p.source, q.source...)
		return q, true
	}
	if t != d {
		switch {
		case d == strings.ToUpper(d):
			p.source = append(p.source, mapping.Transform{Kind: mapping.TransformUpper})
		case d == strings.ToLower(d):
			p.source = append(p.source, mapping.Transform{Kind: mapping.TransformLower})
		default:
			return p, false
		}
	}
	return p, len(p.source) > 0 || len(p.dir) > 0
}

// deriveAfterCut composes: it cuts what variants cut (a suffix from "@",
// a separated prefix or suffix), then derives the rest, so "181@acmevn"
// meets "00181" by [{strip_suffix: "@acmevn"}, {pad_left: ...}].
func deriveAfterCut(s, d string) (proposal, bool) {
	type cut struct {
		step mapping.Transform
		rest string
	}
	var cuts []cut
	if i := strings.IndexByte(s, '@'); i > 0 {
		cuts = append(cuts, cut{mapping.Transform{Kind: mapping.TransformStripSuffix, Arg: s[i:]}, s[:i]})
	}
	if i := strings.IndexAny(s, "-_/:"); i > 0 && i < len(s)-1 {
		cuts = append(cuts, cut{mapping.Transform{Kind: mapping.TransformStripPrefix, Arg: s[:i+1]}, s[i+1:]},
			cut{mapping.Transform{Kind: mapping.TransformStripSuffix, Arg: s[i:]}, s[:i]})
	}
	for _, c := range cuts {
		if c.rest == d {
			return proposal{source: []mapping.Transform{c.step}}, true
		}
		if q, ok := derive(c.rest, d); ok {
			q.source = append([]mapping.Transform{c.step}, q.source...)
			return q, true
		}
	}
	return proposal{}, false
}

// stripPrefixSteps removes a prefix; zeros at its end become
// strip_leading_zeros so "E00123" and "E01234" share one fix.
func stripPrefixSteps(pre string) []mapping.Transform {
	if pre == "" {
		return nil
	}
	letters := strings.TrimRight(pre, "0")
	var out []mapping.Transform
	if letters != "" {
		out = append(out, mapping.Transform{Kind: mapping.TransformStripPrefix, Arg: letters})
	}
	if letters != pre {
		out = append(out, mapping.Transform{Kind: mapping.TransformStripLeadingZeros})
	}
	return out
}

// transformsYAML renders transforms as a YAML flow list that pastes back
// as the same transforms. A lookup is written out whole (its String, made
// for messages, only counts the entries).
func transformsYAML(ts []mapping.Transform) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
		if t.Kind == mapping.TransformLookup {
			keys := make([]string, 0, len(t.Table))
			for k := range t.Table {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			pairs := make([]string, len(keys))
			for j, k := range keys {
				pairs[j] = strconv.Quote(k) + ": " + strconv.Quote(t.Table[k])
			}
			parts[i] = "{lookup: {" + strings.Join(pairs, ", ") + "}}"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
