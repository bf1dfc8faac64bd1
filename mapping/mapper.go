package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultFutureTolerance is how far ahead of the clock a punch may be
// (device clocks drift) before it is a future_time reject.
const DefaultFutureTolerance = 10 * time.Minute

// Options are the run-time settings a Mapper needs besides the spec.
type Options struct {
	// Location is the source's zone, applied to values that carry no
	// offset of their own; nil = UTC. Around daylight-saving changes a wall
	// time that happens twice is the first (earlier) instant, and one that
	// never happens is read with the offset from before the change (02:30
	// in a 02:00→03:00 gap becomes 03:30).
	Location        *time.Location
	FutureTolerance time.Duration // punches later than Now()+tolerance → FutureTime (default 10m if 0)
	Floor           time.Time     // punches before → InvalidTime (zero = no floor)
	Now             func() time.Time
}

// Mapper is a validated, compiled Spec. It is safe for concurrent use, and
// so are the Bindings it makes.
type Mapper struct {
	loc       *time.Location
	tolerance time.Duration
	floor     time.Time
	now       func() time.Time

	key       compiledField
	time      compiledField
	timeParse *timeParser
	date      *compiledField
	dateParse *timeParser
	direction *compiledField
	codes     directionCodes
	keepUnk   bool
	device    *compiledField
}

type compiledField struct {
	name     string
	column   Column
	constant string
	isConst  bool
	tf       Transforms
}

// Compile validates the spec and prepares it for mapping many rows.
func (s Spec) Compile(opt Options) (*Mapper, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if opt.Now == nil {
		return nil, errors.New("mapping options: Now (the clock) is required")
	}
	if opt.FutureTolerance < 0 {
		return nil, fmt.Errorf("mapping options: future tolerance %s is negative", opt.FutureTolerance)
	}
	m := &Mapper{loc: opt.Location, tolerance: opt.FutureTolerance, floor: opt.Floor, now: opt.Now}
	if m.loc == nil {
		m.loc = time.UTC
	}
	if m.tolerance == 0 {
		m.tolerance = DefaultFutureTolerance
	}
	m.key = compileField(FieldEmployeeKey, s.EmployeeKey)
	m.time = compileField(FieldTime, s.Time)
	if s.Date != nil {
		date := compileField(FieldDate, *s.Date)
		m.date = &date
		m.dateParse = newTimeParser(kindDate, s.Date.layouts())
		m.timeParse = newTimeParser(kindClock, s.Time.layouts())
	} else {
		m.timeParse = newTimeParser(kindTimestamp, s.Time.layouts())
	}
	if s.Direction != nil {
		dir := compileField(FieldDirection, s.Direction.Field)
		m.direction = &dir
		m.codes, _ = compileCodes(s.Direction.Codes) // checked by Validate
		m.keepUnk = s.Direction.Unknown == UnknownKeep
	}
	if s.Device != nil {
		dev := compileField(FieldDevice, *s.Device)
		m.device = &dev
	}
	return m, nil
}

func compileField(name string, f Field) compiledField {
	tf, _ := CompileTransforms(f.Transform) // checked by Validate
	c := compiledField{name: name, column: f.Column, tf: tf}
	if f.Column.IsZero() {
		c.isConst = true
		c.constant = tf.Apply(f.Value)
	}
	return c
}

func (f Field) layouts() []string {
	var ls []string
	if f.Layout != "" {
		ls = append(ls, f.Layout)
	}
	return append(ls, f.Layouts...)
}

// Binding is a Mapper bound to one header (or to positions). It reads the
// clock once, when made: every row of a file is judged against the same now.
type Binding struct {
	m         *Mapper
	key       boundField
	time      boundField
	date      *boundField
	direction *boundField
	device    *boundField
	latest    time.Time // now + tolerance
	columns   map[string]string
}

type boundField struct {
	*compiledField
	idx   int    // 0-based position in Row.Fields
	label string // the column as the file names it, or "#3"
}

// Bind resolves the spec's columns. header is nil for positional sources.
// Names match case-insensitively after NormalizeHeader; a missing column
// is an error that names it and lists the columns found.
func (m *Mapper) Bind(header []string) (*Binding, error) {
	var norm []string
	if header != nil {
		norm = make([]string, len(header))
		for i, h := range header {
			norm[i] = NormalizeHeader(h)
		}
	}
	b := &Binding{m: m, latest: m.now().Add(m.tolerance), columns: map[string]string{}}
	var errs []error
	bind := func(c *compiledField) *boundField {
		bf := &boundField{compiledField: c, idx: -1}
		if c.isConst {
			return bf
		}
		idx, err := findColumn(c.column, header, norm)
		if err != nil {
			errs = append(errs, fmt.Errorf("mapping.%s: %w", c.name, err))
			return bf
		}
		bf.idx = idx
		bf.label = "#" + strconv.Itoa(idx+1)
		if header != nil && idx < len(header) && headerLabel(header[idx]) != "" {
			bf.label = headerLabel(header[idx])
		}
		b.columns[c.name] = bf.label
		return bf
	}
	b.key = *bind(&m.key)
	b.time = *bind(&m.time)
	if m.date != nil {
		b.date = bind(m.date)
	}
	if m.direction != nil {
		b.direction = bind(m.direction)
	}
	if m.device != nil {
		b.device = bind(m.device)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return b, nil
}

func findColumn(c Column, header, norm []string) (int, error) {
	if c.Index > 0 {
		if header != nil && c.Index > len(header) {
			return 0, fmt.Errorf("column #%d is past the %d columns found: %s", c.Index, len(header), listColumns(header))
		}
		return c.Index - 1, nil
	}
	if header == nil {
		return 0, fmt.Errorf("column %q is named, but the source has no header row; give a position (1-based) instead", c.Name)
	}
	want := NormalizeHeader(c.Name)
	found := -1
	for i, h := range norm {
		if h != want {
			continue
		}
		if found >= 0 {
			return 0, fmt.Errorf("column %q appears twice in the header (#%d and #%d); give a position instead", c.Name, found+1, i+1)
		}
		found = i
	}
	if found < 0 {
		return 0, fmt.Errorf("column %q not found; columns found: %s", c.Name, listColumns(header))
	}
	return found, nil
}

func listColumns(header []string) string {
	if len(header) == 0 {
		return "(none)"
	}
	quoted := make([]string, len(header))
	for i, h := range header {
		quoted[i] = strconv.Quote(headerLabel(h))
	}
	return strings.Join(quoted, ", ")
}

// Columns maps each field read from a column to the column it bound to
// (header name as the file writes it, or "#3"). Constant fields are absent.
func (b *Binding) Columns() map[string]string {
	out := make(map[string]string, len(b.columns))
	for k, v := range b.columns {
		out[k] = v
	}
	return out
}

// zone is the source's zone, in which messages show times.
func (m *Mapper) zone() *time.Location {
	if m.loc == nil {
		return time.UTC
	}
	return m.loc
}

// Map turns one row into a punch, or says why it cannot. The punch's
// EmployeeID is left empty: the directory lookup is the caller's.
func (b *Binding) Map(row Row) (Punch, *Reject) {
	if row.Err != nil {
		return Punch{}, b.reject(&row, InvalidRow, nil, "the row could not be read: "+row.Err.Error())
	}
	rawKey, rej := b.raw(&b.key, &row)
	if rej != nil {
		return Punch{}, b.footer(&row, rej)
	}
	key := b.key.tf.Apply(rawKey)
	if trimValue(key) == "" {
		reason := fmt.Sprintf("employee_key column %s is blank", b.key.describe())
		if trimValue(rawKey) != "" {
			reason = fmt.Sprintf("employee_key column %s value %q is blank after the transforms", b.key.describe(), rawKey)
		}
		return Punch{}, b.footer(&row, b.reject(&row, InvalidRow, &b.key, reason))
	}
	// Past this point a reject still carries the key, so the report can say
	// whose punch it was.
	t, note, rej := b.when(&row)
	if rej != nil {
		if f := b.footer(&row, rej); f != rej {
			return Punch{}, f
		}
		return Punch{SourceKey: key}, rej
	}
	p := Punch{SourceKey: key, Time: t, Direction: DirUnknown, Source: row.Origin.Source, Origin: row.Origin, Note: note}
	if b.direction != nil {
		d, rej := b.dir(&row)
		if rej != nil {
			return Punch{SourceKey: key, Time: t}, rej
		}
		p.Direction = d
	}
	if b.device != nil {
		dev, rej := b.value(b.device, &row)
		if rej != nil {
			return Punch{SourceKey: key, Time: t}, rej
		}
		p.DeviceID = dev
	}
	return p, nil
}

// Key is the row's employee key as Map gives it, after the transforms;
// ok is false for a row Map rejects before its key (unreadable, the column
// missing, a NUL, blank). A reader that wants some employees only passes
// over the others' rows with it, without parsing their times.
func (b *Binding) Key(row *Row) (key string, ok bool) {
	if row.Err != nil {
		return "", false
	}
	var raw string
	if b.key.isConst {
		raw = b.key.constant
	} else if b.key.idx < len(row.Fields) {
		raw = row.Fields[b.key.idx]
	} else {
		return "", false
	}
	if strings.IndexByte(raw, 0) >= 0 {
		return "", false
	}
	key = b.key.tf.Apply(raw)
	return key, trimValue(key) != ""
}

// raw returns the field's cell (or constant) before transforms.
func (b *Binding) raw(f *boundField, row *Row) (string, *Reject) {
	if f.isConst {
		return f.constant, nil
	}
	if f.idx >= len(row.Fields) {
		return "", b.reject(row, InvalidRow, f, fmt.Sprintf("the row has %d fields, so %s column %s is missing", len(row.Fields), f.name, f.describe()))
	}
	cell := row.Fields[f.idx]
	if strings.IndexByte(cell, 0) >= 0 {
		// No export means a NUL, and PostgreSQL cannot store one: left in,
		// it failed the whole batch on every run.
		return "", b.reject(row, InvalidRow, f, fmt.Sprintf("%s column %s holds a NUL byte (0x00), which the HR database cannot be trusted to store", f.name, f.describe()))
	}
	return cell, nil
}

// value returns the field's value after transforms.
func (b *Binding) value(f *boundField, row *Row) (string, *Reject) {
	if f.isConst {
		return f.constant, nil
	}
	raw, rej := b.raw(f, row)
	if rej != nil {
		return "", rej
	}
	return f.tf.Apply(raw), nil
}

func (b *Binding) when(row *Row) (time.Time, string, *Reject) {
	m := b.m
	timeVal, rej := b.value(&b.time, row)
	if rej != nil {
		return time.Time{}, "", rej
	}
	timeVal = trimValue(timeVal)
	tp, ok := m.timeParse.parse(timeVal, m.loc)
	if !ok {
		return time.Time{}, "", b.badTime(row, &b.time, timeVal, m.timeParse)
	}
	var t time.Time
	var dateVal string
	kind := wallOnce // how the wall time stands in m.loc
	if b.date == nil {
		t = tp.t
		if !tp.zoned {
			t, kind = resolveWallKind(t, m.loc)
		}
	} else {
		var rej *Reject
		dateVal, rej = b.value(b.date, row)
		if rej != nil {
			return time.Time{}, "", rej
		}
		dateVal = trimValue(dateVal)
		dp, ok := m.dateParse.parse(dateVal, m.loc)
		if !ok {
			return time.Time{}, "", b.badTime(row, b.date, dateVal, m.dateParse)
		}
		y, mo, d := dp.t.Date()
		h, mi, s := tp.t.Clock()
		// A time of day rounded up to 24:00:00 (an Excel fraction) rolls
		// into the next day, as Excel itself shows it.
		extraDay := 0
		if tp.t.Year() == 0 && tp.t.YearDay() == 2 {
			extraDay = 1
		}
		if tp.zoned {
			t = time.Date(y, mo, d+extraDay, h, mi, s, 0, tp.t.Location())
		} else {
			t, kind = resolveWallKind(time.Date(y, mo, d+extraDay, h, mi, s, 0, time.UTC), m.loc)
		}
	}
	t = t.UTC()
	if t.Nanosecond() != 0 { // most times have no fraction, and Truncate divides
		t = t.Truncate(time.Second)
	}
	shown := func() string { // the column(s) and value(s), for messages; built only on a reject
		s := fmt.Sprintf("time column %s value %s is", b.time.describe(), b.shownValue(&b.time, row, timeVal))
		if b.date != nil {
			s = fmt.Sprintf("date column %s value %s and %s", b.date.describe(), b.shownValue(b.date, row, dateVal), strings.TrimSuffix(s, " is")+" make")
		}
		return s
	}
	if kind == wallGap {
		return time.Time{}, "", b.reject(row, InvalidTime, &b.time, fmt.Sprintf(
			"%s a local time that does not exist in %s: the clocks skipped it for daylight saving time (a device clock or an export that ignores the change?)",
			shown(), m.loc))
	}
	if !m.floor.IsZero() && t.Before(m.floor) {
		return time.Time{}, "", b.reject(row, InvalidTime, &b.time, fmt.Sprintf(
			"%s %s, before the earliest accepted time %s",
			shown(), t.In(m.zone()).Format(time.RFC3339), m.floor.In(m.zone()).Format(time.RFC3339)))
	}
	if t.After(b.latest) {
		return time.Time{}, "", b.reject(row, FutureTime, &b.time, fmt.Sprintf(
			"%s %s, later than now plus %s (%s)",
			shown(), t.In(m.zone()).Format(time.RFC3339), m.tolerance, b.latest.In(m.zone()).Format(time.RFC3339)))
	}
	note := ""
	if kind == wallOverlap {
		note = overlapNote(t, m.loc)
	}
	return t, note, nil
}

// overlapNote is what the report says of a wall time the clocks showed
// twice: the rule that chose between the two instants.
func overlapNote(t time.Time, loc *time.Location) string {
	_, first := t.In(loc).Zone()
	second := offsetAt(t.Unix()+86400, loc)
	return fmt.Sprintf("ambiguous local time in the daylight-saving overlap of %s: the first occurrence (%s) was taken, not the second (%s)",
		loc, formatOffset(first), formatOffset(second))
}

func formatOffset(sec int) string {
	return time.Unix(0, 0).In(time.FixedZone("", sec)).Format("-07:00")
}

func (b *Binding) badTime(row *Row, f *boundField, val string, p *timeParser) *Reject {
	what := "time"
	if p.kind == kindDate {
		what = "date"
	} else if p.kind == kindClock {
		what = "time of day"
	}
	reason := fmt.Sprintf("%s column %s value %s is not a valid %s: %s", f.name, f.describe(), b.shownValue(f, row, val), what, p.explain(val, b.m.loc))
	if val == "" {
		reason = fmt.Sprintf("%s column %s is blank", f.name, f.describe())
	}
	return b.reject(row, InvalidTime, f, reason)
}

func (b *Binding) dir(row *Row) (Direction, *Reject) {
	f := b.direction
	val, rej := b.value(f, row)
	if rej != nil {
		return "", rej
	}
	if d, ok := b.m.codes.lookup(val); ok {
		return d, nil
	}
	if b.m.keepUnk {
		return DirUnknown, nil
	}
	return "", b.reject(row, InvalidRow, f, fmt.Sprintf(
		"direction column %s value %s is not one of the codes (%s); set direction.unknown: keep to import such punches as unknown",
		f.describe(), b.shownValue(f, row, val), b.m.codes.describe()))
}

// shownValue quotes a field's cell as the file has it, and the value the
// transforms made of it when they changed more than white space.
func (b *Binding) shownValue(f *boundField, row *Row, used string) string {
	raw, rej := b.raw(f, row)
	if rej != nil || f.isConst {
		return strconv.Quote(used)
	}
	if trimValue(raw) == trimValue(used) {
		return strconv.Quote(raw)
	}
	return fmt.Sprintf("%q (%q after the transforms)", raw, used)
}

func (f *boundField) describe() string {
	if f.isConst {
		return "(constant)"
	}
	if strings.HasPrefix(f.label, "#") {
		return f.label
	}
	return strconv.Quote(f.label)
}

func (b *Binding) reject(row *Row, code Code, f *boundField, reason string) *Reject {
	r := &Reject{Origin: row.Origin, Code: code, Reason: reason}
	if row.Fields != nil {
		r.Raw = append([]string(nil), row.Fields...)
	}
	if f != nil {
		r.Field = f.name
		if !f.isConst {
			r.Column = f.label
		}
	}
	return r
}
