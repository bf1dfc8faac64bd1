package mapcheck

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources"
)

// Options tune an Analyzer. Zero values pick the defaults.
type Options struct {
	Config *config.Config
	// Sample is the --sample row count, for the document (the engine does the stopping).
	Sample int
	// MaxUnmappedPercent, when set, is the --max-unmapped threshold.
	MaxUnmappedPercent *float64
	Examples           int // failures kept per field and finding (default 5)
	MaxUnmappedKeys    int // distinct unmapped keys tracked (default 100,000)
	NearMatchKeys      int // unmapped keys searched for near matches, most rows first (default 5,000)
	DuplicateWindow    int // punches remembered for duplicate detection (default 131,072)
	CoverageList       int // active employees without punches listed (default 200)
	// Failure, when set, is handed every row that would not be placed (for --report).
	Failure func(*report.Line, *mapping.Row)
}

// Analyzer is an importer Observer that gathers map-check's findings. It
// is safe for the engine's two goroutines (File on the reader, Row on the
// writer).
type Analyzer struct {
	opt     Options
	mu      sync.Mutex
	sources map[string]*sourceState
	order   []string
	dir     *DirectoryView
	seen    map[string]bool // employee ids with a punch
	// ident is the run's punch identity (PunchIdentity): duplicates and the
	// pairs' note follow it.
	ident   mapping.Identity
	files   []string // file names, indexed by origin.file
	fileIdx map[string]int32
	pending map[string]*fileState // files opened, no row seen yet (Detection has no source name)
	lastSrc *sourceState
	window  struct{ from, to time.Time }
}

// New makes an Analyzer for a run over opt.Config's sources.
func New(opt Options) *Analyzer {
	if opt.Examples <= 0 {
		opt.Examples = 5
	}
	if opt.MaxUnmappedKeys <= 0 {
		opt.MaxUnmappedKeys = 100_000
	}
	if opt.NearMatchKeys <= 0 {
		opt.NearMatchKeys = 5000
	}
	if opt.CoverageList <= 0 {
		opt.CoverageList = 200
	}
	return &Analyzer{opt: opt, sources: map[string]*sourceState{}, seen: map[string]bool{}, fileIdx: map[string]int32{},
		pending: map[string]*fileState{}}
}

// fieldOrder is the order mapping looks at fields; a row stops at the first failure.
var fieldOrder = []string{mapping.FieldEmployeeKey, mapping.FieldTime, mapping.FieldDate, mapping.FieldDirection, mapping.FieldDevice}

type sourceState struct {
	name                   string
	src                    *config.Source
	loc                    *time.Location
	rows                   int64
	counts                 map[mapping.Code]*int64
	lastCode               mapping.Code // the outcome of the last row, and its count
	lastCount              *int64
	files                  []*fileState
	byFile                 map[string]*fileState
	fields                 map[string]*fieldState
	inOrder                []*fieldState            // fields in fieldOrder, those the mapping has
	dates                  map[string]*dateEvidence // by field (time or date)
	codes                  map[string]*DirectionCode
	codeOther, codeUnknown int64
	unmapped               map[string]*UnmappedKey
	unmappedRows           int64
	untracked              int64
	dupes                  *recentPunches
	duplicates             Finding
	future, floor          Finding
	ambiguous              Finding // wall times the clocks showed twice
	unreadable             Finding
	first, last            time.Time
	shape                  *shapeState
	directorySize          int
	lastFile               *fileState // the file of the last row
}

type fileState struct {
	rep  FileReport
	idx  map[string]int // field → 0-based column, -1 when constant
	file int32
	// What rawFindings reads of idx, read at the file's first row.
	colsRead        bool
	dateField       string
	dateCol, dirCol int
	hasDate, hasDir bool
}

type fieldState struct {
	FieldReport
	columns map[string]bool
}

func (a *Analyzer) source(name string) *sourceState {
	if a.lastSrc != nil && a.lastSrc.name == name {
		return a.lastSrc
	}
	s := a.sources[name]
	if s == nil {
		s = &sourceState{name: name, counts: map[mapping.Code]*int64{}, byFile: map[string]*fileState{},
			fields: map[string]*fieldState{}, dates: map[string]*dateEvidence{}, codes: map[string]*DirectionCode{},
			unmapped: map[string]*UnmappedKey{}, dupes: newRecentPunches(a.opt.DuplicateWindow), loc: time.UTC, shape: newShapeState()}
		if a.opt.Config != nil {
			s.src = a.opt.Config.Sources[name]
		}
		if s.src != nil {
			s.loc = s.src.Location()
			for _, f := range fieldOrder {
				if fld := specField(&s.src.Mapping, f); fld != nil {
					s.fields[f] = &fieldState{FieldReport: FieldReport{Field: f, Constant: fld.Column.IsZero()}, columns: map[string]bool{}}
					s.inOrder = append(s.inOrder, s.fields[f])
				}
			}
		}
		a.sources[name] = s
		a.order = append(a.order, name)
	}
	a.lastSrc = s
	return s
}

func specField(s *mapping.Spec, name string) *mapping.Field {
	switch name {
	case mapping.FieldEmployeeKey:
		return &s.EmployeeKey
	case mapping.FieldTime:
		return &s.Time
	case mapping.FieldDate:
		return s.Date
	case mapping.FieldDirection:
		if s.Direction != nil {
			return &s.Direction.Field
		}
	case mapping.FieldDevice:
		return s.Device
	}
	return nil
}

// Directory is the importer hook (importer.DirectoryObserver) in adapter
// form: commands hands the run's directory over as a DirectoryView.
func (a *Analyzer) SetDirectory(d *DirectoryView) {
	a.mu.Lock()
	a.dir = d
	a.mu.Unlock()
}

// File records what the reader detected and how the mapping bound.
func (a *Analyzer) File(det sources.Detection, b *mapping.Binding, bindErr error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Detection has no source name; the next row of this file tells it, so
	// the file is parked under its path until then.
	fs := &fileState{rep: FileReport{File: det.File, Format: det.Format, Encoding: det.Encoding, Delimiter: det.Delimiter,
		Sheet: det.Sheet, Sheets: det.Sheets, HeaderRow: det.HeaderRow, Columns: det.Columns}, idx: map[string]int{}}
	fs.file = a.fileID(det.File)
	if bindErr != nil {
		// The engine reports a file that would not open through the same
		// call; binding errors always name the mapping key.
		if strings.HasPrefix(bindErr.Error(), "mapping.") {
			fs.rep.BindError = bindErr.Error()
		} else {
			fs.rep.OpenError = bindErr.Error()
		}
	}
	if b != nil {
		fs.rep.Bound = b.Columns()
		for field, label := range fs.rep.Bound {
			fs.idx[field] = columnIndex(label, det.Columns)
		}
	}
	a.pending[det.File] = fs
}

func (a *Analyzer) fileID(name string) int32 {
	if id, ok := a.fileIdx[name]; ok {
		return id
	}
	id := int32(len(a.files))
	a.files = append(a.files, name)
	a.fileIdx[name] = id
	return id
}

// columnIndex finds the 0-based column a Binding label names: "#3" or a
// header cell as the file writes it.
func columnIndex(label string, header []string) int {
	if strings.HasPrefix(label, "#") {
		if n, err := strconv.Atoi(label[1:]); err == nil {
			return n - 1
		}
	}
	want := mapping.NormalizeHeader(label)
	for i, h := range header {
		if mapping.NormalizeHeader(h) == want {
			return i
		}
	}
	return -1
}

func (s *sourceState) file(a *Analyzer, name string) *fileState {
	if fs := s.lastFile; fs != nil && fs.rep.File == name {
		return fs
	}
	if fs := s.byFile[name]; fs != nil {
		s.lastFile = fs
		return fs
	}
	fs := a.pending[name]
	if fs != nil {
		delete(a.pending, name)
	} else {
		fs = &fileState{rep: FileReport{File: name}, idx: map[string]int{}, file: a.fileID(name)}
	}
	s.byFile[name] = fs
	s.lastFile = fs
	s.files = append(s.files, fs)
	for field, label := range fs.rep.Bound {
		if f := s.fields[field]; f != nil {
			f.columns[label] = true
		}
	}
	return fs
}

// Row looks at one settled row.
func (a *Analyzer) Row(row *mapping.Row, p *mapping.Punch, line *report.Line) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.source(line.Source)
	s.rows++
	s.count(line.Outcome)
	fs := s.file(a, line.File)
	if row == nil { // a file or source that could not be read at all
		if fs.rep.OpenError == "" {
			fs.rep.OpenError = line.Reason
		}
		a.failure(line, row)
		return
	}
	fs.rep.Rows++
	at := origin{file: fs.file, line: int32(line.Line)}
	s.fieldOutcome(a, fs, row, p, line)
	if row.Err == nil && fs.rep.BindError == "" {
		s.rawFindings(fs, row, p, line)
	}
	if !line.Time.IsZero() {
		if s.first.IsZero() || line.Time.Before(s.first) {
			s.first = line.Time
		}
		if line.Time.After(s.last) {
			s.last = line.Time
		}
	}
	switch line.Outcome {
	case mapping.Unmapped:
		s.addUnmapped(a, line)
	case mapping.FutureTime:
		s.future.add(a.opt.Examples, a.example(line, ""))
	case mapping.InvalidTime:
		if strings.Contains(line.Reason, "before the earliest accepted time") {
			s.floor.add(a.opt.Examples, a.example(line, ""))
		}
	}
	if p != nil && p.Note != "" {
		s.ambiguous.add(a.opt.Examples, a.example(line, ""))
	}
	if p != nil && line.EmployeeID != "" {
		emp := s.shape.byEmp[line.EmployeeID]
		if emp == nil {
			emp = new(int64)
			s.shape.byEmp[line.EmployeeID] = emp
			a.seen[line.EmployeeID] = true
		}
		s.watchShape(a, p, line, emp)
		k := a.ident.Of(p)
		if twin, dup := s.dupes.seen(line.EmployeeID, k.Unix, k.DeviceID, string(k.Direction), at); dup {
			ex := a.example(line, "")
			what := "second and device"
			if a.ident.Direction {
				what = "second, device and direction"
			}
			ex.Reason = fmt.Sprintf("same employee, %s as %s line %d", what, a.files[twin.file], twin.line)
			s.duplicates.add(a.opt.Examples, ex)
		}
	}
	if !line.Outcome.Placed() {
		a.failure(line, row)
	}
}

// count counts a row's outcome; rows in a row mostly share theirs.
func (s *sourceState) count(c mapping.Code) {
	if s.lastCount == nil || c != s.lastCode {
		n := s.counts[c]
		if n == nil {
			n = new(int64)
			s.counts[c] = n
		}
		s.lastCode, s.lastCount = c, n
	}
	*s.lastCount++
}

func (a *Analyzer) failure(line *report.Line, row *mapping.Row) {
	if a.opt.Failure != nil {
		a.opt.Failure(line, row)
	}
}

func (f *Finding) add(max int, ex Example) {
	f.Count++
	if len(f.Examples) < max {
		f.Examples = append(f.Examples, ex)
	}
}

func (a *Analyzer) example(line *report.Line, raw string) Example {
	return Example{File: line.File, Line: line.Line, Raw: raw, Key: line.Key, Reason: line.Reason}
}

// fieldOutcome credits each field with parsed, failed or not reached.
func (s *sourceState) fieldOutcome(a *Analyzer, fs *fileState, row *mapping.Row, p *mapping.Punch, line *report.Line) {
	if row.Err != nil || fs.rep.BindError != "" {
		s.unreadable.add(a.opt.Examples, a.example(line, ""))
		for _, f := range s.fields {
			f.NotReached++
		}
		return
	}
	failed := ""
	if p == nil {
		failed = line.Field
	}
	// A time before the floor or in the future parsed; it is its own finding.
	if line.Outcome == mapping.FutureTime || strings.Contains(line.Reason, "before the earliest accepted time") {
		failed = ""
		if p == nil {
			failed = "(range)"
		}
	}
	reached := true
	for _, f := range s.inOrder {
		name := f.Field
		switch {
		case !reached:
			f.NotReached++
		case name == failed:
			f.Failed++
			reached = false
			if len(f.Examples) < a.opt.Examples {
				f.Examples = append(f.Examples, a.example(line, cell(row, fs.idx, name)))
			}
		default:
			f.Parsed++
			if failed == "(range)" && (name == mapping.FieldTime || name == mapping.FieldDate) && !timeFieldsLeft(s, name) {
				reached = false
			}
		}
	}
}

// timeFieldsLeft reports whether another time-bearing field comes after name.
func timeFieldsLeft(s *sourceState, name string) bool {
	return name == mapping.FieldTime && s.fields[mapping.FieldDate] != nil
}

func cell(row *mapping.Row, idx map[string]int, field string) string {
	i, ok := idx[field]
	if !ok || i < 0 || i >= len(row.Fields) {
		return ""
	}
	return row.Fields[i]
}

// rawFindings looks at raw cells: dates for day/month evidence, direction codes.
func (s *sourceState) rawFindings(fs *fileState, row *mapping.Row, p *mapping.Punch, line *report.Line) {
	if !fs.colsRead {
		fs.dateField = mapping.FieldTime
		if _, ok := fs.idx[mapping.FieldDate]; ok {
			fs.dateField = mapping.FieldDate
		}
		fs.dateCol, fs.hasDate = fs.idx[fs.dateField]
		fs.dirCol, fs.hasDir = fs.idx[mapping.FieldDirection]
		fs.colsRead = true
	}
	dateField := fs.dateField
	if i, ok := fs.dateCol, fs.hasDate; ok && i >= 0 && i < len(row.Fields) {
		d := s.dates[dateField]
		if d == nil {
			d = &dateEvidence{field: dateField, column: fs.rep.Bound[dateField]}
			s.dates[dateField] = d
		}
		d.add(row.Fields[i], line.File, line.Line)
	}
	if i, ok := fs.dirCol, fs.hasDir; ok && i >= 0 && i < len(row.Fields) {
		code := strings.TrimSpace(row.Fields[i])
		c := s.codes[code]
		if c == nil {
			if len(s.codes) >= maxCodes {
				s.codeOther++
				return
			}
			c = &DirectionCode{Code: code}
			s.codes[code] = c
		}
		c.Count++
		switch {
		case p != nil && c.Direction == "":
			c.Direction, c.Known = string(p.Direction), p.Direction != mapping.DirUnknown
			if !c.Known {
				c.Direction = "unknown (kept)"
			}
		case p == nil && line.Field == mapping.FieldDirection:
			c.Direction, c.Known = "not a code (rejected)", false
		}
		if !c.Known && c.Direction != "" {
			s.codeUnknown++
		}
	}
}

const maxCodes = 500

func (s *sourceState) addUnmapped(a *Analyzer, line *report.Line) {
	s.unmappedRows++
	k := s.unmapped[line.Key]
	if k == nil {
		if len(s.unmapped) >= a.opt.MaxUnmappedKeys {
			s.untracked++
			return
		}
		k = &UnmappedKey{Key: line.Key, First: line.Time, Last: line.Time, File: line.File, FirstLine: line.Line}
		s.unmapped[line.Key] = k
	}
	k.Count++
	if line.Time.Before(k.First) {
		k.First = line.Time
	}
	if line.Time.After(k.Last) {
		k.Last = line.Time
	}
}

// Finish turns what was seen into the document. failures are the run's
// unreadable files or sources (importer.Result.Failures).
// PunchIdentity is the importer hook (importer.IdentityObserver): the
// identity the run settles repeats by.
func (a *Analyzer) PunchIdentity(id mapping.Identity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ident = id
}

func (a *Analyzer) Finish(failures []string) *Document {
	a.mu.Lock()
	defer a.mu.Unlock()
	doc := &Document{Sample: a.opt.Sample, Counts: map[string]int64{}, Failures: failures, MaxUnmapped: a.opt.MaxUnmappedPercent}
	if a.opt.Config != nil {
		doc.Config = a.opt.Config.Path
	}
	var near *nearFinder
	if a.dir != nil {
		near = newNearFinder(a.dir)
	}
	names := append([]string(nil), a.order...)
	if a.opt.Config != nil { // sources that produced no row at all still get a section
		for _, n := range a.opt.Config.SourceNames() {
			if _, ok := a.sources[n]; !ok {
				names = append(names, n)
			}
		}
	}
	for _, name := range names {
		s := a.source(name)
		if len(names) == 1 { // files that opened but gave no row
			for file := range a.pending {
				s.file(a, file)
			}
		}
		sr := s.report(a, near)
		doc.Sources = append(doc.Sources, sr)
		for k, v := range sr.Counts {
			doc.Counts[k] += v
		}
		doc.Total += sr.Rows
		doc.Unmapped += sr.Unmapped.Rows
		s.widen(&a.window.from, &a.window.to)
	}
	for k, v := range doc.Counts {
		if !mapping.Code(k).Placed() {
			doc.Rejected += v
		}
	}
	if doc.Total > 0 {
		doc.UnmappedPercent = float64(doc.Unmapped) * 100 / float64(doc.Total)
	}
	if a.dir != nil {
		doc.Coverage = a.coverage()
	}
	doc.ExitCode, doc.Verdict = exitCode(doc)
	return doc
}

func (s *sourceState) widen(from, to *time.Time) {
	if !s.first.IsZero() && (from.IsZero() || s.first.Before(*from)) {
		*from = s.first
	}
	if s.last.After(*to) {
		*to = s.last
	}
}

func (a *Analyzer) coverage() *Coverage {
	c := &Coverage{Employees: len(a.dir.Employees), MatchedOnField: a.dir.Match}
	for i := range a.dir.Employees {
		e := &a.dir.Employees[i]
		if !e.Active() {
			continue
		}
		c.Active++
		if a.seen[e.ID] {
			continue
		}
		c.ActiveWithout++
		if len(c.Without) < a.opt.CoverageList {
			c.Without = append(c.Without, Employee{ID: e.ID, Name: e.Name, AttendanceNo: e.AttendanceNo, EmployeeNo: e.EmployeeNo, Department: e.Department})
		}
	}
	if !a.window.from.IsZero() {
		// In the sources' zone (the first source's, when they differ): the
		// window is what the customer reads against their own clock.
		from, to := a.window.from, a.window.to
		if len(a.order) > 0 {
			loc := a.sources[a.order[0]].loc
			from, to = from.In(loc), to.In(loc)
		}
		c.WindowFrom, c.WindowTo = &from, &to
	}
	return c
}

func (s *sourceState) report(a *Analyzer, near *nearFinder) *SourceReport {
	r := &SourceReport{Name: s.name, Timezone: s.loc.String(), Rows: s.rows, Counts: map[string]int64{},
		Duplicates: s.duplicates, Future: s.future, BeforeFrom: s.floor, Ambiguous: s.ambiguous, Unreadable: s.unreadable}
	r.Duplicates.Note = fmt.Sprintf("checked against the last %d distinct punches (exports are time-sorted; a twin further back is not seen here, the import still catches it)", s.dupes.size)
	for k, v := range s.counts {
		r.Counts[string(k)] = *v
	}
	for _, fs := range s.files {
		r.Files = append(r.Files, fs.rep)
	}
	for _, name := range fieldOrder {
		if f := s.fields[name]; f != nil {
			fr := f.FieldReport
			for c := range f.columns {
				fr.Columns = append(fr.Columns, c)
			}
			sort.Strings(fr.Columns)
			r.Fields = append(r.Fields, fr)
		}
	}
	for _, name := range []string{mapping.FieldTime, mapping.FieldDate} {
		if d := s.dates[name]; d != nil {
			var layouts []string
			if s.src != nil {
				if f := specField(&s.src.Mapping, name); f != nil {
					layouts = append(append(layouts, nonEmpty(f.Layout)...), f.Layouts...)
				}
			}
			r.Dates = append(r.Dates, d.report(layouts))
		}
	}
	r.Directions = s.directions()
	if !s.first.IsZero() {
		first, last := s.first.In(s.loc), s.last.In(s.loc)
		r.FirstTime, r.LastTime = &first, &last
	}
	r.Unmapped = s.unmappedReport(a, near)
	if a.dir != nil {
		s.directorySize = len(a.dir.Employees)
	}
	r.Suspicions = s.suspicions()
	r.SameSecondPairs = s.shape.pairs
	r.SameSecondPairs.Note = pairsNote(a.ident)
	return r
}

// pairsNote says what the HR target makes of an in and an out of one
// employee in one second, by its punch identity.
func pairsNote(id mapping.Identity) string {
	if id.Direction {
		return "an in and an out of one employee in the same second and device, as minute-precision exports write them; the HR table's key includes the direction, so both are imported"
	}
	return "an in and an out of one employee in the same second and device, as minute-precision exports write them; the HR target's identity (employee, second, device) keeps only the first: see README, \"A punch's identity\""
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func (s *sourceState) directions() *DirectionReport {
	if s.src == nil || s.src.Mapping.Direction == nil || s.src.Mapping.Direction.Column.IsZero() {
		return nil
	}
	d := &DirectionReport{Column: strings.Trim(s.src.Mapping.Direction.Column.String(), `"`), Other: s.codeOther}
	spec := s.src.Mapping.Direction
	for _, c := range s.codes {
		if c.Direction == "" { // never reached mapping: read the configured codes
			c.Direction, c.Known = configuredDirection(spec, c.Code)
		}
		if !c.Known {
			d.Unknown += c.Count
		}
		d.Codes = append(d.Codes, *c)
	}
	sort.Slice(d.Codes, func(i, j int) bool {
		if d.Codes[i].Count != d.Codes[j].Count {
			return d.Codes[i].Count > d.Codes[j].Count
		}
		return d.Codes[i].Code < d.Codes[j].Code
	})
	return d
}

// configuredDirection reads the config's codes for a code no mapped row
// showed (every row with it failed earlier). Codes compare trimmed and
// case-insensitively, as mapping does.
func configuredDirection(spec *mapping.DirectionField, code string) (string, bool) {
	tf, _ := mapping.CompileTransforms(spec.Transform)
	v := strings.ToLower(strings.TrimSpace(tf.Apply(code)))
	for dir, codes := range spec.Codes {
		for _, c := range codes {
			if strings.ToLower(strings.TrimSpace(c)) == v {
				return string(dir), true
			}
		}
	}
	if len(spec.Codes) == 0 {
		for _, d := range mapping.Directions {
			if string(d) == v {
				return v, true
			}
		}
	}
	if spec.Unknown == mapping.UnknownKeep {
		return "unknown (kept)", false
	}
	return "not a code (rejected)", false
}

func (s *sourceState) unmappedReport(a *Analyzer, near *nearFinder) UnmappedReport {
	u := UnmappedReport{Rows: s.unmappedRows, DistinctKeys: len(s.unmapped), UntrackedRows: s.untracked}
	for _, k := range s.unmapped {
		k.First, k.Last = k.First.In(s.loc), k.Last.In(s.loc)
		u.Keys = append(u.Keys, *k)
	}
	sort.Slice(u.Keys, func(i, j int) bool {
		if u.Keys[i].Count != u.Keys[j].Count {
			return u.Keys[i].Count > u.Keys[j].Count
		}
		return u.Keys[i].Key < u.Keys[j].Key
	})
	if near == nil {
		return u
	}
	fixes := map[string]*Fix{}
	var order []string
	for i := range u.Keys {
		if i >= a.opt.NearMatchKeys {
			break
		}
		k := &u.Keys[i]
		p, ok := near.find(k.Key)
		if !ok {
			continue
		}
		fix := s.fixFor(a, p)
		k.Near = &NearMatch{EmployeeID: p.match.emp.ID, Field: p.match.field, Value: p.match.value, Fix: fix.Key + ": " + fix.Transform}
		id := fix.Key + fix.Transform
		if f := fixes[id]; f != nil {
			f.Keys++
			f.Rows += k.Count
		} else {
			fix.Keys, fix.Rows = 1, k.Count
			fixes[id] = &fix
			order = append(order, id)
		}
	}
	for _, id := range order {
		u.Fixes = append(u.Fixes, *fixes[id])
	}
	sort.SliceStable(u.Fixes, func(i, j int) bool { return u.Fixes[i].Rows > u.Fixes[j].Rows })
	return u
}

// fixFor renders a proposal as the config it needs: the source's full
// employee_key transform list, and the directory's key_transform when the
// HR side must change too.
func (s *sourceState) fixFor(a *Analyzer, p proposal) Fix {
	var existing []mapping.Transform
	column := "AC-No"
	if s.src != nil {
		existing = s.src.Mapping.EmployeeKey.Transform
		column = yamlColumn(s.src.Mapping.EmployeeKey.Column)
	}
	var f Fix
	var b strings.Builder
	if len(p.source) > 0 {
		all := append(append([]mapping.Transform(nil), existing...), p.source...)
		f.Key = "sources." + s.name + ".mapping.employee_key.transform"
		f.Transform = transformsYAML(all)
		fmt.Fprintf(&b, "sources:\n  %s:\n    mapping:\n      employee_key: { column: %s, transform: %s }\n", s.name, column, f.Transform)
	}
	if len(p.dir) > 0 {
		kt := append(append([]mapping.Transform(nil), a.dir.KeyTransform...), p.dir...)
		if f.Key == "" {
			f.Key, f.Transform = "hr.employees.key_transform", transformsYAML(kt)
		} else {
			f.Key += " + hr.employees.key_transform"
			f.Transform += " + " + transformsYAML(kt)
		}
		fmt.Fprintf(&b, "hr:\n  employees:\n    key_transform: %s\n", transformsYAML(kt))
	}
	f.YAML = b.String()
	return f
}

// yamlColumn writes a column for a YAML flow mapping: a quoted name or a
// bare position ("#3" would start a comment).
func yamlColumn(c mapping.Column) string {
	if c.Name != "" {
		return strconv.Quote(c.Name)
	}
	return strconv.Itoa(c.Index)
}

// exitCode applies map-check's documented exit codes:
//
//	Usage    a mapped field cannot be bound to any column (the mapping cannot run);
//	Failed   a file or source could not be read at all;
//	Rejected some rows would be rejected; with --max-unmapped P, unmapped
//	         rows are judged by their share instead: above P percent is
//	         Rejected, at or below it they do not count against the run;
//	OK       every row would be placed.
func exitCode(d *Document) (exitcode.Code, string) {
	for _, s := range d.Sources {
		for _, f := range s.Files {
			if f.BindError != "" {
				return exitcode.Usage, fmt.Sprintf("the mapping of source %s cannot bind to %s: %s", s.Name, f.File, f.BindError)
			}
		}
	}
	if len(d.Failures) > 0 {
		return exitcode.Failed, "some files could not be read: " + strings.Join(d.Failures, "; ")
	}
	rejected := d.Rejected
	if d.MaxUnmapped != nil {
		if d.UnmappedPercent > *d.MaxUnmapped {
			return exitcode.Rejected, fmt.Sprintf("%.2f%% of rows are unmapped, above --max-unmapped %g%%", d.UnmappedPercent, *d.MaxUnmapped)
		}
		rejected -= d.Unmapped
	}
	if rejected > 0 {
		return exitcode.Rejected, fmt.Sprintf("%d of %d rows would be rejected", d.Rejected, d.Total)
	}
	for _, s := range d.Sources {
		if len(s.Suspicions) > 0 {
			return exitcode.Rejected, fmt.Sprintf("every row would be placed, but the mapping of source %s looks wrong: %s", s.Name, s.Suspicions[0].Message)
		}
	}
	if d.Total == 0 {
		return exitcode.OK, "no rows were read"
	}
	if d.Rejected > 0 {
		return exitcode.OK, fmt.Sprintf("every row would be placed apart from %d unmapped (%.2f%%, within --max-unmapped %g%%)", d.Unmapped, d.UnmappedPercent, *d.MaxUnmapped)
	}
	return exitcode.OK, fmt.Sprintf("every one of %d rows would be placed", d.Total)
}
