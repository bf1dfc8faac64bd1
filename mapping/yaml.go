package mapping

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The decoders below check unknown keys themselves: yaml.v3 does not pass
// KnownFields(true) on to Node.Decode inside a custom UnmarshalYAML.

func lineErr(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("line %d: %s", n.Line, fmt.Sprintf(format, args...))
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return "a single value"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a map"
	case yaml.AliasNode:
		return "an alias"
	}
	return "an empty document"
}

// resolveAlias follows *anchors so they work like the plain values.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// checkKeys reports the first key of mapping n that is not allowed.
func checkKeys(n *yaml.Node, what string, allowed []string) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		found := false
		for _, a := range allowed {
			if k.Value == a {
				found = true
				break
			}
		}
		if !found {
			return lineErr(k, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// UnmarshalYAML reads an int as a 1-based position and a string as a
// header name ("#3" is position 3).
func (c *Column) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	if n.Kind != yaml.ScalarNode {
		return lineErr(n, "column must be a header name or a 1-based position, not %s", kindName(n))
	}
	switch n.ShortTag() {
	case "!!int":
		var i int
		if err := n.Decode(&i); err != nil {
			return lineErr(n, "column %q is not a usable position", n.Value)
		}
		if i < 1 {
			return lineErr(n, "column position %d must be 1 or more (positions are 1-based)", i)
		}
		*c = Column{Index: i}
	case "!!str":
		if NormalizeHeader(n.Value) == "" {
			return lineErr(n, "column name is blank")
		}
		if i, ok := hashPosition(n.Value); ok {
			*c = Column{Index: i}
			return nil
		}
		*c = Column{Name: n.Value}
	default:
		return lineErr(n, "column must be a header name or a 1-based position, not %q", n.Value)
	}
	return nil
}

// hashPosition reads "#3" as position 3.
func hashPosition(s string) (int, bool) {
	if len(s) < 2 || s[0] != '#' {
		return 0, false
	}
	i, err := strconv.Atoi(s[1:])
	return i, err == nil && i >= 1
}

// MarshalYAML writes the column back the way it is read.
func (c Column) MarshalYAML() (any, error) {
	if c.Name != "" {
		return c.Name, nil
	}
	return c.Index, nil
}

// UnmarshalYAML reads a field as a map (column, value, transform, layout,
// layouts) or as just its column (`employee_key: 1`).
func (f *Field) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.ScalarNode:
		var c Column
		if err := c.UnmarshalYAML(n); err != nil {
			return err
		}
		*f = Field{Column: c, Line: n.Line}
		return nil
	case yaml.MappingNode:
		if err := checkKeys(n, "a mapped field", fieldKeys); err != nil {
			return err
		}
		type plain Field // no methods: decodes without recursing here
		var p plain
		if err := n.Decode(&p); err != nil {
			return err
		}
		*f = Field(p)
		f.Line = n.Line
		return nil
	}
	return lineErr(n, "a mapped field must be a column or a map with column/value, not %s", kindName(n))
}

// UnmarshalYAML reads the field keys plus codes and unknown. A code list
// may hold ints or strings, or be a single value (`in: 0`).
func (d *DirectionField) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		var f Field
		if err := f.UnmarshalYAML(n); err != nil {
			return err
		}
		*d = DirectionField{Field: f}
		return nil
	}
	allowed := append(append([]string{}, fieldKeys...), "codes", "unknown")
	if err := checkKeys(n, "direction", allowed); err != nil {
		return err
	}
	fieldNode := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
	var out DirectionField
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		switch k.Value {
		case "codes":
			codes, err := decodeCodes(v)
			if err != nil {
				return err
			}
			out.Codes = codes
		case "unknown":
			if v.Kind != yaml.ScalarNode {
				return lineErr(v, "unknown must be %s, not %s", unknownModeList(), kindName(v))
			}
			if !slices.Contains(UnknownModes, v.Value) {
				return lineErr(v, "unknown must be %s, not %q", unknownModeList(), v.Value)
			}
			out.Unknown = v.Value
		default:
			fieldNode.Content = append(fieldNode.Content, k, v)
		}
	}
	if err := out.Field.UnmarshalYAML(fieldNode); err != nil {
		return err
	}
	*d = out
	return nil
}

func decodeCodes(n *yaml.Node) (map[Direction][]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, lineErr(n, "codes must be a map like {in: [0, 4], out: [1, 5]}, not %s", kindName(n))
	}
	codes := map[Direction][]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		dir := Direction(k.Value)
		if !knownDirection(dir) {
			return nil, lineErr(k, "unknown direction %q (known: %s)", k.Value, directionList())
		}
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			return nil, lineErr(v, "no codes given for %s; write an empty code as \"\"", dir)
		}
		switch v.Kind {
		case yaml.ScalarNode:
			codes[dir] = append(codes[dir], v.Value)
		case yaml.SequenceNode:
			for _, item := range v.Content {
				item = resolveAlias(item)
				if item.Kind != yaml.ScalarNode {
					return nil, lineErr(item, "a direction code must be a single value, not %s", kindName(item))
				}
				if item.ShortTag() == "!!null" {
					return nil, lineErr(item, "a direction code is empty; write an empty code as \"\"")
				}
				codes[dir] = append(codes[dir], item.Value)
			}
		default:
			return nil, lineErr(v, "codes for %s must be a value or a list, not %s", dir, kindName(v))
		}
	}
	return codes, nil
}

// UnmarshalYAML reads `trim` or a one-key map such as {strip_prefix: "X"}.
func (t *Transform) UnmarshalYAML(n *yaml.Node) error {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.ScalarNode:
		kind := TransformKind(n.Value)
		switch {
		case !kind.known():
			return lineErr(n, "unknown transform %q (known: %s)", n.Value, knownTransformList())
		case kind.takesArg():
			return lineErr(n, "transform %s needs a value: write {%s: \"...\"}", kind, kind)
		case kind == TransformRegex:
			return lineErr(n, "transform regex needs {regex: {pattern: \"...\", replace: \"...\"}}")
		case kind == TransformLookup:
			return lineErr(n, "transform lookup needs a table: {lookup: {\"A1\": \"1001\"}}")
		case kind == TransformPadLeft:
			return lineErr(n, "transform pad_left needs {pad_left: {width: 5, char: \"0\"}}")
		}
		*t = Transform{Kind: kind, Line: n.Line}
		return nil
	case yaml.MappingNode:
		if len(n.Content) != 2 {
			return lineErr(n, "a transform map has exactly one key, such as {strip_prefix: \"X\"}; got %d", len(n.Content)/2)
		}
		k, v := n.Content[0], resolveAlias(n.Content[1])
		kind := TransformKind(k.Value)
		out := Transform{Kind: kind, Line: k.Line}
		switch {
		case !kind.known():
			return lineErr(k, "unknown transform %q (known: %s)", k.Value, knownTransformList())
		case kind.takesArg():
			if v.Kind != yaml.ScalarNode {
				return lineErr(v, "transform %s takes a single value, not %s", kind, kindName(v))
			}
			if v.Value == "" {
				return lineErr(v, "transform %s needs a non-empty value", kind)
			}
			out.Arg = v.Value
		case kind == TransformRegex:
			if err := decodeRegex(v, &out); err != nil {
				return err
			}
		case kind == TransformLookup:
			table, err := decodeLookup(v)
			if err != nil {
				return err
			}
			out.Table = table
		case kind == TransformPadLeft:
			if err := decodePadLeft(v, &out); err != nil {
				return err
			}
		default:
			return lineErr(k, "transform %s takes no value: write `- %s`", kind, kind)
		}
		*t = out
		return nil
	}
	return lineErr(n, "a transform is a name (trim) or a one-key map ({strip_prefix: \"X\"}), not %s", kindName(n))
}

// decodePadLeft reads {width: 5, char: "0"}; char defaults to "0".
func decodePadLeft(n *yaml.Node, out *Transform) error {
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "pad_left needs {width: 5, char: \"0\"}, not %s", kindName(n))
	}
	if err := checkKeys(n, "pad_left", []string{"width", "char"}); err != nil {
		return err
	}
	out.Char = "0"
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		if v.Kind != yaml.ScalarNode {
			return lineErr(v, "pad_left %s must be a single value, not %s", k.Value, kindName(v))
		}
		if k.Value == "width" {
			w, err := strconv.Atoi(v.Value)
			if err != nil {
				return lineErr(v, "pad_left width %q: want a whole number", v.Value)
			}
			out.Width = w
		} else {
			out.Char = v.Value
		}
	}
	if _, err := compileTransform(*out); err != nil {
		return lineErr(n, "%v", err)
	}
	return nil
}

func decodeRegex(n *yaml.Node, out *Transform) error {
	if n.Kind != yaml.MappingNode {
		return lineErr(n, "regex needs {pattern: \"...\", replace: \"...\"}, not %s", kindName(n))
	}
	if err := checkKeys(n, "regex", []string{"pattern", "replace"}); err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		if v.Kind != yaml.ScalarNode {
			return lineErr(v, "regex %s must be a single value, not %s", k.Value, kindName(v))
		}
		if k.Value == "pattern" {
			out.Pattern = v.Value
		} else {
			out.Replace = v.Value
		}
	}
	if _, err := compileTransform(*out); err != nil {
		return lineErr(n, "%v", err)
	}
	return nil
}

func decodeLookup(n *yaml.Node) (map[string]string, error) {
	if n.Kind != yaml.MappingNode {
		return nil, lineErr(n, "lookup needs a table like {\"A1\": \"1001\"}, not %s", kindName(n))
	}
	if len(n.Content) == 0 {
		return nil, lineErr(n, "lookup table is empty")
	}
	table := make(map[string]string, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), resolveAlias(n.Content[i+1])
		if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return nil, lineErr(k, "lookup entries map one value to one value")
		}
		table[k.Value] = v.Value
	}
	return table, nil
}
