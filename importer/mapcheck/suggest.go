package mapcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources"
)

// SuggestOptions says what to propose a mapping for.
type SuggestOptions struct {
	ConfigPath  string
	ConfigGiven bool     // the path was asked for: a missing file is an error
	Sources     []string // configured sources; default: those with no mapping
	Files       []string // export files not in the config yet
	Sample      int      // rows looked at per file (default 2000)
}

// SuggestResult is the proposal: one entry per source or file, and the
// whole as YAML to paste under the config.
type SuggestResult struct {
	Suggestions []*Suggestion `json:"suggestions"`
	Directory   string        `json:"directory,omitempty"` // how many employees keys were compared with
	YAML        string        `json:"yaml"`
}

// Suggestion is a proposed mapping for one source.
type Suggestion struct {
	Source    string            `json:"source"`
	File      string            `json:"file"`
	Detection sources.Detection `json:"detected"`
	Rows      int               `json:"rows_looked_at"`
	Columns   []ColumnGuess     `json:"columns"`
	Mapping   map[string]string `json:"mapping"` // field → column
	Warnings  []string          `json:"warnings,omitempty"`
	Notes     []string          `json:"notes,omitempty"` // what was recognised, for the consultant to confirm
	YAML      string            `json:"yaml"`
	db        *config.Source    // a database source: rendered with its url and table or query
	src       *config.Source    // the configured source, whose own settings the proposal keeps
}

// ColumnGuess is what one column looks like.
type ColumnGuess struct {
	Index       int      `json:"index"` // 1-based
	Header      string   `json:"header,omitempty"`
	KnownAs     []string `json:"known_as,omitempty"` // roles its header name is a synonym for
	Timestamp   float64  `json:"timestamp_share"`    // share of values that parse as a date and time
	Layout      string   `json:"layout,omitempty"`
	DateOnly    float64  `json:"date_share"`
	DateLayout  string   `json:"date_layout,omitempty"`
	Clock       float64  `json:"clock_share"`
	ClockLayout string   `json:"clock_layout,omitempty"`
	KeyMatch    float64  `json:"directory_match_share"` // share of values matching an employee, after Fix
	Fix         string   `json:"fix,omitempty"`
	Distinct    int      `json:"distinct_values"`
	Codes       float64  `json:"direction_code_share"`
	// KeysMatched is how many distinct values match an employee (after Fix).
	KeysMatched int `json:"distinct_keys_matched"`
	// Words: most values are direction words (not numbers).
	Words    bool `json:"direction_words,omitempty"`
	Numeric  bool `json:"numeric,omitempty"` // every non-empty value is a whole number
	values   []string
	fixSteps []mapping.Transform
	fixDir   []mapping.Transform
}

// Candidate layouts, tried on a column's values; "2" and "1" also read
// zero-padded days and months.
var (
	timestampCandidates = []string{
		"2006-1-2 15:04:05", "2006-1-2 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-1-2T15:04:05", "2006.1.2 15:04:05",
		"2/1/2006 15:04:05", "2/1/2006 15:04", "2-1-2006 15:04:05", "2-1-2006 15:04", "2.1.2006 15:04:05", "2.1.2006 15:04",
		"1/2/2006 15:04:05", "1/2/2006 15:04", "1/2/2006 3:04:05 PM", "1/2/2006 3:04 PM", "2/1/2006 3:04:05 PM",
		"20060102150405", mapping.LayoutExcel,
		time.RFC3339, // with the zone's offset, as a device pull writes it (config.DeviceTimeLayout)
	}
	dateCandidates  = []string{"2006-1-2", "2006/1/2", "2/1/2006", "2-1-2006", "2.1.2006", "1/2/2006", "20060102", mapping.LayoutExcel}
	clockCandidates = []string{"15:04:05", "15:04", "3:04:05 PM", "3:04 PM"}
)

// Suggest reads each target file's header and first rows and proposes a mapping.
func Suggest(ctx context.Context, o SuggestOptions) (*SuggestResult, error) {
	if o.Sample <= 0 {
		o.Sample = 2000
	}
	cfg, draft, err := LoadDraft(o.ConfigPath)
	if err != nil && (o.ConfigGiven || !errors.Is(err, fs.ErrNotExist)) {
		return nil, err
	}
	res := &SuggestResult{}
	var dir *DirectoryView
	if cfg != nil {
		if dir, err = loadDirectory(ctx, cfg); err != nil {
			return nil, err
		}
		res.Directory = fmt.Sprintf("%d employees, matched on %s", len(dir.Employees), strings.Join(dir.Match, ", "))
	}
	type target struct {
		name, path string
		format     sources.FileFormat
		db, src    *config.Source
	}
	var targets []target
	names := o.Sources
	if len(names) == 0 && len(o.Files) == 0 {
		names = draft
	}
	for _, n := range names {
		if cfg == nil {
			return nil, fmt.Errorf("--source %s: no config was found at %s", n, o.ConfigPath)
		}
		src, ok := cfg.Sources[n]
		if !ok {
			return nil, fmt.Errorf("--source %s: no such source (have: %s)", n, strings.Join(cfg.SourceNames(), ", "))
		}
		if src.IsDatabase() {
			targets = append(targets, target{name: n, db: src})
			continue
		}
		if src.Path == "" {
			return nil, fmt.Errorf("--source %s: no path: a source that pulls its files is suggested from one of them, given with --file", n)
		}
		files, err := sources.Expand(src.Path)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", n, err)
		}
		f := src.Format
		targets = append(targets, target{name: n, path: files[0], src: src, format: sources.FileFormat{Type: f.Type, Delimiter: f.Delimiter, Header: f.Header,
			Encoding: f.Encoding, FallbackEncoding: f.FallbackEncoding, Sheet: f.Sheet, SheetIndex: f.SheetIndex, HeaderRow: f.HeaderRow}})
	}
	for _, f := range o.Files {
		targets = append(targets, target{name: sourceName(f), path: f})
	}
	if len(targets) == 0 {
		return nil, errors.New("--suggest: every configured source has a mapping; name one with --source or give an export with --file")
	}
	var b strings.Builder
	b.WriteString("# Proposed by hrsync map-check --suggest. Check each line, paste under sources:, then run hrsync map-check.\nsources:\n")
	for _, t := range targets {
		var s *Suggestion
		if t.db != nil {
			s, err = suggestDatabase(ctx, t.db, o.Sample, dir, cfg)
		} else {
			s, err = suggestFile(t.name, t.path, t.format, o.Sample, dir, cfg)
			if s != nil && t.src != nil {
				s.src = t.src
				s.YAML = s.render(t.format, cfg)
			}
		}
		if err != nil {
			return nil, err
		}
		res.Suggestions = append(res.Suggestions, s)
		b.WriteString(s.YAML)
	}
	res.YAML = directoryYAML(res.Suggestions, dir) + b.String()
	return res, nil
}

// directoryYAML is the hr.employees.key_transform a proposal needs, as
// YAML: the existing transform and the added steps, to put in place of the
// config's own key (a second hr: key makes config check fail, it is never
// dropped silently).
func directoryYAML(sugs []*Suggestion, dir *DirectoryView) string {
	var add []mapping.Transform
	for _, s := range sugs {
		if g := s.column(mapping.FieldEmployeeKey); g != nil && len(g.fixDir) > 0 {
			add = g.fixDir
			break
		}
	}
	if add == nil || dir == nil {
		return ""
	}
	kt := append(append([]mapping.Transform(nil), dir.KeyTransform...), add...)
	return "# The directory's keys need a transform too: put key_transform under your hr.employees (this replaces its own).\n" +
		"hr:\n  employees:\n    key_transform: " + transformsYAML(kt) + "\n"
}

// LoadDraft reads a config in which some sources have no mapping yet. Such
// sources get a stand-in mapping so the rest of the file is still checked,
// and their names come back in draft. It never changes the file.
func LoadDraft(path string) (*config.Config, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil || len(root.Content) == 0 {
		cfg, err := config.Parse(absPath(path), data)
		return cfg, nil, err
	}
	var draft []string
	if srcs := mapValue(root.Content[0], "sources"); srcs != nil && srcs.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(srcs.Content); i += 2 {
			src := srcs.Content[i+1]
			if src.Kind != yaml.MappingNode {
				continue
			}
			if mapValue(src, "devices") != nil {
				continue // a device source's mapping defaults to the CSV its pull writes (config.DeviceMapping)
			}
			m := mapValue(src, "mapping")
			if m != nil && !(m.Kind == yaml.MappingNode && len(m.Content) == 0) && m.Tag != "!!null" {
				continue
			}
			draft = append(draft, srcs.Content[i].Value)
			standIn := &yaml.Node{}
			_ = yaml.Unmarshal([]byte("{employee_key: 1, time: 2}"), standIn)
			if m == nil {
				src.Content = append(src.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "mapping"}, standIn.Content[0])
			} else {
				*m = *standIn.Content[0]
			}
		}
	}
	if len(draft) > 0 {
		if data, err = yaml.Marshal(&root); err != nil {
			return nil, nil, err
		}
	}
	cfg, err := config.Parse(absPath(path), data)
	sort.Strings(draft)
	return cfg, draft, err
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func sourceName(path string) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	n := strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return unicode.ToLower(r)
		}
		return '_'
	}, base)
	if strings.Trim(n, "_") == "" {
		return "export"
	}
	return n
}

// loadDirectory reads the employee directory as import would.
func loadDirectory(ctx context.Context, cfg *config.Config) (*DirectoryView, error) {
	var hr interface {
		Employees(context.Context) ([]mapping.Employee, error)
	}
	if cfg.HR.Employees.File == "" {
		s, err := importer.OpenHR(ctx, cfg, false)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		hr = s
	}
	d, err := importer.LoadDirectory(ctx, cfg, hr)
	if err != nil {
		return nil, err
	}
	o := &engineObserver{Analyzer: New(Options{}), cfg: cfg}
	o.Directory(d)
	return o.dir, nil
}

// fallbackEncodings are tried, in order, on a file that is not UTF-8.
var fallbackEncodings = []string{"gbk", "big5", "windows-1258", "windows-1252"}

// openForSuggest opens a file; a text file that is not UTF-8 and declares
// no encoding is tried in each fallback, keeping the one whose header has
// the most known column names.
func openForSuggest(path, name string, f sources.FileFormat) (sources.FileReader, sources.Detection, error) {
	r, det, err := sources.OpenFile(path, name, f)
	if err == nil || f.Encoding != "" || f.FallbackEncoding != "" || !strings.Contains(err.Error(), "not valid UTF-8") {
		return r, det, err
	}
	best, bestScore := "", -1
	for _, enc := range fallbackEncodings {
		g := f
		g.FallbackEncoding = enc
		r, det, err := sources.OpenFile(path, name, g)
		if err != nil {
			continue
		}
		r.Close()
		score := 0
		for _, c := range det.Columns {
			if len(synonymRole(c)) > 0 {
				score += 2
			}
			if !strings.ContainsRune(c, unicode.ReplacementChar) {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = enc, score
		}
	}
	if best == "" {
		return nil, det, err
	}
	f.FallbackEncoding = best
	return sources.OpenFile(path, name, f)
}

func suggestFile(name, path string, f sources.FileFormat, sample int, dir *DirectoryView, cfg *config.Config) (*Suggestion, error) {
	r, det, err := openForSuggest(path, name, f)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s := &Suggestion{Source: name, File: path, Detection: det, Mapping: map[string]string{}}
	if err := s.look(r, sample, dir); err != nil {
		return nil, err
	}
	s.YAML = s.render(f, cfg)
	return s, nil
}

// suggestDatabase samples a database source (table or query) through the
// reader import uses, every column of it.
func suggestDatabase(ctx context.Context, src *config.Source, sample int, dir *DirectoryView, cfg *config.Config) (*Suggestion, error) {
	r, err := importer.SampleDatabase(ctx, src)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	s := &Suggestion{Source: src.Name, File: r.Where, Detection: sources.Detection{File: r.Where, Format: "database", Columns: r.Header},
		Mapping: map[string]string{}, db: src}
	if err := s.look(r, sample, dir); err != nil {
		return nil, err
	}
	s.YAML = s.render(sources.FileFormat{}, cfg)
	return s, nil
}

// look reads up to sample rows and proposes the mapping.
func (s *Suggestion) look(r sources.FileReader, sample int, dir *DirectoryView) error {
	path := s.File
	var header []string
	maxFields := 0
	for s.Rows < sample {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if row.Err != nil || mapping.LooksLikeFooter(row.Fields) {
			continue
		}
		maxFields = max(maxFields, len(row.Fields))
		if header == nil {
			header = row.Header
			n := max(len(header), len(row.Fields))
			for i := 0; i < n; i++ {
				g := ColumnGuess{Index: i + 1}
				if i < len(header) {
					g.Header = header[i]
					g.KnownAs = synonymRole(header[i])
				}
				s.Columns = append(s.Columns, g)
			}
		}
		for i := range s.Columns {
			v := ""
			if i < len(row.Fields) {
				v = strings.TrimSpace(row.Fields[i])
			}
			s.Columns[i].values = append(s.Columns[i].values, v)
		}
		s.Rows++
	}
	if s.Rows == 0 {
		return fmt.Errorf("%s: no rows to look at", path)
	}
	if len(header) > maxFields {
		// The names cannot say which field is which: bind by position.
		s.Notes = append(s.Notes, fmt.Sprintf("the header names %d columns (%s) but no row has more than %d fields: bound by position, not by name",
			len(header), strings.Join(header, ", "), maxFields))
		s.Columns = s.Columns[:maxFields]
		for i := range s.Columns {
			s.Columns[i].Header, s.Columns[i].KnownAs = "", nil
		}
	}
	var near *nearFinder
	if dir != nil {
		near = newNearFinder(dir)
	}
	for i := range s.Columns {
		measureColumn(&s.Columns[i], dir, near)
	}
	s.attlogRoles()
	s.choose(dir != nil)
	return nil
}

// measureColumn scores a column for each role from its values.
func measureColumn(g *ColumnGuess, dir *DirectoryView, near *nearFinder) {
	var vals []string
	distinct := map[string]int{}
	for _, v := range g.values {
		if v != "" {
			vals = append(vals, v)
			distinct[v]++
		}
	}
	g.Distinct = len(distinct)
	if len(vals) == 0 {
		return
	}
	g.Layout, g.Timestamp = bestLayout(vals, timestampCandidates)
	g.DateLayout, g.DateOnly = bestLayout(vals, dateCandidates)
	g.ClockLayout, g.Clock = bestLayout(vals, clockCandidates)
	codes, words, numeric := 0, 0, 0
	for v, n := range distinct {
		if _, ok := directionWords[strings.ToLower(v)]; ok {
			codes += n
			words += n
		} else if _, ok := zktecoCodes[v]; ok && len(distinct) <= 7 {
			codes += n
		}
		if _, err := strconv.ParseUint(v, 10, 64); err == nil {
			numeric += n
		}
	}
	g.Codes = share(codes, len(vals))
	g.Words = words*2 > len(vals)
	g.Numeric = numeric == len(vals)
	if dir == nil || g.Timestamp > 0.5 || g.DateOnly > 0.5 {
		return
	}
	exact := 0
	for _, v := range vals {
		if dir.Lookup(v) != nil {
			exact++
		}
	}
	for v := range distinct {
		if dir.Lookup(v) != nil {
			g.KeysMatched++
		}
	}
	g.KeyMatch = share(exact, len(vals))
	if g.KeyMatch >= 0.9 {
		return
	}
	// Near matches: the fix that places the most rows among the most common values.
	type tally struct {
		rows  int
		keys  int
		steps []mapping.Transform
		dir   []mapping.Transform
	}
	fixes := map[string]*tally{}
	values := make([]string, 0, len(distinct))
	for v := range distinct {
		values = append(values, v)
	}
	sort.Slice(values, func(i, j int) bool { return distinct[values[i]] > distinct[values[j]] })
	for i, v := range values {
		if i == 300 {
			break
		}
		if dir.Lookup(v) != nil {
			continue
		}
		p, ok := near.find(v)
		if !ok {
			continue
		}
		id := transformsYAML(p.source) + transformsYAML(p.dir)
		t := fixes[id]
		if t == nil {
			t = &tally{steps: p.source, dir: p.dir}
			fixes[id] = t
		}
		t.rows += distinct[v]
		t.keys++
	}
	var best *tally
	for _, t := range fixes {
		if best == nil || t.rows > best.rows {
			best = t
		}
	}
	if best != nil && share(exact+best.rows, len(vals)) > g.KeyMatch {
		g.KeyMatch = share(exact+best.rows, len(vals))
		g.KeysMatched += best.keys
		g.fixSteps, g.fixDir = best.steps, best.dir
		g.Fix = transformsYAML(best.steps)
		if len(best.dir) > 0 {
			g.Fix += " with hr.employees.key_transform " + transformsYAML(best.dir)
		}
	}
}

func share(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// bestLayout returns the candidate that parses the most values, and the
// share it parses. Between layouts that parse equally well, day/month
// evidence in the values decides; with none, the earlier candidate wins
// (year-first, then day-first: the order of the markets hrsync serves).
func bestLayout(vals []string, candidates []string) (string, float64) {
	var ev dateEvidence
	for _, v := range vals {
		ev.add(v, "", 0)
	}
	best, bestN := "", 0
	for _, l := range candidates {
		n := 0
		for _, v := range vals {
			if parsesWith(l, v) {
				n++
			}
		}
		better := n > bestN
		if n == bestN && n > 0 {
			reading := layoutReading(l)
			if ev.secondAbove12 > 0 && ev.firstAbove12 == 0 && reading == "month-first" && layoutReading(best) == "day-first" {
				better = true
			}
		}
		if better {
			best, bestN = l, n
		}
	}
	return best, share(bestN, len(vals))
}

func parsesWith(layout, v string) bool {
	switch layout {
	case mapping.LayoutExcel:
		t, ok := mapping.ParseExcelSerial(v, false)
		return ok && t.Year() >= 1990 && t.Year() <= 2100
	}
	if strings.Contains(layout, "PM") {
		v = strings.ToUpper(v)
	}
	t, err := time.Parse(layout, v)
	if err != nil {
		return false
	}
	if strings.Contains(layout, "2006") {
		return t.Year() >= 1990 && t.Year() <= 2100
	}
	return true
}

// choose assigns columns to fields: a content fit first, a known header
// name to break ties and to pick among equals. It proposes nothing the
// values contradict: a key needs many distinct values that match many
// employees, a direction needs direction codes (numbers only under a
// direction name, or in an attlog's state position) and never comes from
// a device column, and a timestamp named for processing, export or upload
// never stands for the punch's time. What it cannot tell, it leaves out
// with the reason.
func (s *Suggestion) choose(haveDirectory bool) {
	used := map[int]bool{}
	pick := func(field string, score func(*ColumnGuess) float64, min float64) *ColumnGuess {
		var best *ColumnGuess
		bestScore := 0.0
		for i := range s.Columns {
			g := &s.Columns[i]
			if used[i] {
				continue
			}
			sc := score(g)
			if sc < min {
				continue
			}
			if known(g, field) {
				sc += 0.5
			}
			if sc > bestScore {
				best, bestScore = g, sc
			}
		}
		if best != nil {
			used[best.Index-1] = true
			s.Mapping[field] = label(best)
		}
		return best
	}
	punchTime := func(share float64) func(*ColumnGuess) float64 {
		return func(g *ColumnGuess) float64 {
			if notPunchTime(g.Header) {
				return 0
			}
			return share
		}
	}
	ts := pick(mapping.FieldTime, func(g *ColumnGuess) float64 { return punchTime(g.Timestamp)(g) }, 0.8)
	if ts == nil {
		d := pick(mapping.FieldDate, func(g *ColumnGuess) float64 { return punchTime(g.DateOnly)(g) }, 0.8)
		c := pick(clockField, func(g *ColumnGuess) float64 { return punchTime(g.Clock)(g) }, 0.8)
		if d == nil || c == nil {
			why := "no column parses as a date and time (nor a date plus a time of day); set time: by hand"
			for _, g := range s.Columns {
				if g.Timestamp >= 0.8 && notPunchTime(g.Header) {
					why = fmt.Sprintf("the only date-and-time column, %q, is named for another moment than the punch (processing, export, upload); set time: by hand", g.Header)
				}
			}
			s.Warnings = append(s.Warnings, why)
			delete(s.Mapping, mapping.FieldDate)
			delete(s.Mapping, clockField)
		}
	}
	// A key: many distinct values, matching many employees.
	mostKeys := 0
	for i := range s.Columns {
		mostKeys = max(mostKeys, s.Columns[i].KeysMatched)
	}
	keyScore := func(g *ColumnGuess) float64 {
		if !keyShaped(g, s.Rows) || known(g, mapping.FieldDevice) {
			return 0
		}
		if haveDirectory {
			if g.KeyMatch < 0.5 || mostKeys == 0 {
				return 0
			}
			return g.KeyMatch * float64(g.KeysMatched) / float64(mostKeys)
		}
		if known(g, mapping.FieldEmployeeKey) {
			return 0.5
		}
		return 0
	}
	if pick(mapping.FieldEmployeeKey, keyScore, 0.01) == nil {
		why := "no column's values match the directory and no header is a known key name; set employee_key: by hand"
		var best *ColumnGuess
		for i := range s.Columns {
			if g := &s.Columns[i]; g.KeysMatched > 0 && (best == nil || g.KeysMatched > best.KeysMatched) {
				best = g
			}
		}
		if best != nil {
			why = fmt.Sprintf("no column is a clear employee key: the best, %s, has %d distinct values, %d match an employee (%s of rows); set employee_key: by hand",
				label(best), best.Distinct, best.KeysMatched, pct(best.KeyMatch))
		}
		s.Warnings = append(s.Warnings, why)
	}
	pick(mapping.FieldDirection, func(g *ColumnGuess) float64 {
		if g.Distinct > 12 || known(g, mapping.FieldDevice) {
			return 0
		}
		switch {
		case g.Words:
			return g.Codes
		case g.Numeric && g.Distinct >= 2 && known(g, mapping.FieldDirection):
			return g.Codes
		}
		return 0
	}, 0.5)
	pick(mapping.FieldDevice, func(g *ColumnGuess) float64 {
		if known(g, mapping.FieldDevice) {
			return 0.5 + serialBonus(g.Header)
		}
		return 0
	}, 0.5)
}

// attlogRoles recognises a ZKTeco attlog by content, header or not: a
// whole-number PIN, a date and time, then small numbers: the machine
// number, if there is one, and the attendance state (0-5, 255). Columns
// without names get those roles by position, as the attlog's
// documentation gives them; what is left unnamed is not guessed.
func (s *Suggestion) attlogRoles() {
	c := s.Columns
	if len(c) < 3 || !c[0].Numeric || c[1].Timestamp < 0.9 {
		return
	}
	for _, g := range c {
		if g.Header != "" {
			return // a table with headers of its own: leave it to the names
		}
	}
	state := -1
	for i := 2; i < len(c) && i <= 3; i++ {
		if c[i].Numeric && c[i].Codes >= 0.9 && c[i].Distinct >= 2 {
			state = i
			break
		}
	}
	if state < 0 {
		return
	}
	c[state].KnownAs = []string{mapping.FieldDirection}
	if state == 3 && c[2].Numeric {
		c[2].KnownAs = []string{mapping.FieldDevice}
		s.Notes = append(s.Notes, "laid out as a ZKTeco attlog: PIN, date and time, machine number, state (0-5; 255 = no state key, kept as unknown)")
		return
	}
	s.Notes = append(s.Notes, fmt.Sprintf("read as a punch log: PIN, date and time, state in column %d (0-5; 255 kept as unknown); no column is named as the device, so device: is left out", state+1))
}

// keyShaped: a key column has more than a handful of distinct values; a
// column with one value (a machine number, a verify mode) never is one.
func keyShaped(g *ColumnGuess, rows int) bool {
	if g.Timestamp > 0.5 || g.DateOnly > 0.5 || g.Clock > 0.5 {
		return false
	}
	switch {
	case g.Distinct <= 1:
		return false
	case rows >= 20 && g.Distinct < 3:
		return false
	}
	return true
}

func known(g *ColumnGuess, field string) bool {
	for _, r := range g.KnownAs {
		if r == field {
			return true
		}
	}
	return false
}

func label(g *ColumnGuess) string {
	if g.Header != "" {
		return g.Header
	}
	return "#" + strconv.Itoa(g.Index)
}

func (s *Suggestion) column(field string) *ColumnGuess {
	l, ok := s.Mapping[field]
	if !ok {
		return nil
	}
	for i := range s.Columns {
		if label(&s.Columns[i]) == l {
			return &s.Columns[i]
		}
	}
	return nil
}

func yamlCol(g *ColumnGuess) string {
	if g.Header != "" {
		return strconv.Quote(g.Header)
	}
	return strconv.Itoa(g.Index)
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 0, 64) + "%" }

// render writes the proposal as YAML under sources:.
func (s *Suggestion) render(f sources.FileFormat, cfg *config.Config) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("  %s:\n", s.Source)
	if s.db != nil {
		s.renderDatabase(&b, cfg)
	} else {
		s.renderFile(&b, f, cfg)
	}
	s.renderMapping(&b)
	return b.String()
}

// renderDatabase writes a database source's own keys: the URL as the
// config wrote it (an sqlite path relative to the config again), the
// table or query, the user; a password is never printed.
func (s *Suggestion) renderDatabase(b *strings.Builder, cfg *config.Config) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	u := s.db.URL
	if p, ok := strings.CutPrefix(u, "sqlite://"); ok && cfg != nil {
		if rel, err := filepath.Rel(cfg.Dir, p); err == nil && !strings.HasPrefix(rel, "..") {
			u = "sqlite://" + filepath.ToSlash(rel)
		}
	}
	w("    url: %s\n", strconv.Quote(u))
	if s.db.Table != "" {
		w("    table: %s\n", strconv.Quote(s.db.Table))
	} else {
		w("    query: %s\n", strconv.Quote(s.db.Query))
	}
	if s.db.User != "" {
		w("    user: %s\n", strconv.Quote(s.db.User))
	}
	if s.db.PasswordFile != "" {
		w("    password_file: %s\n", strconv.Quote(s.db.PasswordFile))
	} else if s.db.Password != "" {
		w("    # password: keep the password: line of your config\n")
	}
	if wm := s.db.Watermark; wm != nil {
		w("    watermark: { column: %s", strconv.Quote(wm.Column))
		if wm.Kind != "" {
			w(", kind: %s", wm.Kind)
		}
		if wm.Overlap > 0 {
			w(", overlap: %s", time.Duration(wm.Overlap))
		}
		w(" }\n")
	}
	if s.db.Timezone != "" && (cfg == nil || s.db.Timezone != cfg.Timezone) {
		w("    timezone: %s\n", strconv.Quote(s.db.Timezone))
	}
}

func (s *Suggestion) renderFile(b *strings.Builder, f sources.FileFormat, cfg *config.Config) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	path := s.File
	if cfg != nil {
		if rel, err := filepath.Rel(cfg.Dir, absPath(path)); err == nil && !strings.HasPrefix(rel, "..") {
			path = filepath.ToSlash(rel)
		}
	}
	w("    path: %s\n", strconv.Quote(path))
	// Every format setting the config gave, and what detection needed a
	// fallback for (an encoding), so the pasted source reads as this did.
	var fmtParts []string
	add := func(k, v string) {
		if v != "" && v != "auto" && v != `"auto"` {
			fmtParts = append(fmtParts, k+": "+v)
		}
	}
	add("type", f.Type)
	if f.Delimiter != "" {
		add("delimiter", strconv.Quote(f.Delimiter))
	}
	if f.Header != nil {
		add("header", strconv.FormatBool(*f.Header))
	}
	det := s.Detection
	switch {
	case f.Encoding != "":
		add("encoding", f.Encoding)
	case det.Encoding != "" && det.Encoding != "utf-8" && !strings.HasPrefix(det.Encoding, "utf-16"):
		add("encoding", det.Encoding)
	}
	if f.FallbackEncoding != "" && f.Encoding == "" && det.Encoding == "" {
		add("fallback_encoding", f.FallbackEncoding)
	}
	if f.Sheet != "" {
		add("sheet", strconv.Quote(f.Sheet))
	}
	if f.SheetIndex != 0 {
		add("sheet_index", strconv.Itoa(f.SheetIndex))
	}
	if f.HeaderRow != 0 {
		add("header_row", strconv.Itoa(f.HeaderRow))
	}
	if len(fmtParts) > 0 {
		w("    format: { %s }\n", strings.Join(fmtParts, ", "))
	}
	if s.src != nil {
		if s.src.Timezone != "" && (cfg == nil || s.src.Timezone != cfg.Timezone) {
			w("    timezone: %s\n", strconv.Quote(s.src.Timezone))
		}
		c := s.src.Clock
		if c.Floor != "" || c.FutureTolerance != 0 {
			var parts []string
			if c.Floor != "" {
				parts = append(parts, "floor: "+c.Floor)
			}
			if c.FutureTolerance != 0 {
				parts = append(parts, "future_tolerance: "+time.Duration(c.FutureTolerance).String())
			}
			w("    clock: { %s }\n", strings.Join(parts, ", "))
		}
	}
}

func (s *Suggestion) renderMapping(b *strings.Builder) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	for _, n := range s.Notes {
		w("    # %s\n", n)
	}
	w("    mapping:\n")
	for _, warn := range s.Warnings {
		w("      # TODO: %s\n", warn)
	}
	if g := s.column(mapping.FieldEmployeeKey); g != nil {
		why := fmt.Sprintf("%d distinct keys, %d match an employee (%s of %d rows)", g.Distinct, g.KeysMatched, pct(g.KeyMatch), s.Rows)
		if g.KeyMatch == 0 {
			why = "header is a known name for the employee key; no directory to compare with"
		}
		if g.Fix != "" {
			why += " after the transform"
			if len(g.fixDir) > 0 {
				why += " and hr.employees.key_transform (above)"
			}
		}
		if len(g.fixSteps) > 0 {
			w("      employee_key: { column: %s, transform: %s }   # %s\n", yamlCol(g), transformsYAML(g.fixSteps), why)
		} else {
			w("      employee_key: { column: %s }   # %s\n", yamlCol(g), why)
		}
	}
	if g := s.column(mapping.FieldTime); g != nil {
		w("      time: { column: %s, layout: %s }   # %s of values parse%s\n", yamlCol(g), strconv.Quote(g.Layout), pct(g.Timestamp), ambiguity(g.values, g.Layout))
	} else if d, c := s.column(mapping.FieldDate), s.column(clockField); d != nil && c != nil {
		w("      date: { column: %s, layout: %s }   # %s of values parse%s\n", yamlCol(d), strconv.Quote(d.DateLayout), pct(d.DateOnly), ambiguity(d.values, d.DateLayout))
		w("      time: { column: %s, layout: %s }   # time of day; %s parse\n", yamlCol(c), strconv.Quote(c.ClockLayout), pct(c.Clock))
	}
	if g := s.column(mapping.FieldDirection); g != nil {
		w("      direction: { column: %s, codes: { %s } }   # %s of values are known codes\n", yamlCol(g), directionCodesYAML(g.values), pct(g.Codes))
	}
	if g := s.column(mapping.FieldDevice); g != nil {
		w("      device: { column: %s }\n", yamlCol(g))
	}
}

// ambiguity comments on day/month evidence for the chosen layout.
func ambiguity(vals []string, layout string) string {
	var ev dateEvidence
	for _, v := range vals {
		ev.add(v, "", 0)
	}
	r := ev.report([]string{layout})
	if r.Ambiguous {
		return "; AMBIGUOUS day/month: no value above 12 in either position, confirm the order"
	}
	return ""
}

func directionCodesYAML(vals []string) string {
	byDir := map[mapping.Direction][]string{}
	seen := map[string]bool{}
	distinct := map[string]bool{}
	for _, v := range vals {
		distinct[v] = true
	}
	for _, v := range vals {
		if seen[v] || v == "" {
			continue
		}
		seen[v] = true
		d, ok := directionWords[strings.ToLower(v)]
		if !ok && len(distinct) <= 7 {
			d, ok = zktecoCodes[v]
		}
		if ok {
			byDir[d] = append(byDir[d], v)
		}
	}
	var parts []string
	for _, d := range mapping.Directions {
		codes := byDir[d]
		if len(codes) == 0 {
			continue
		}
		sort.Strings(codes)
		q := make([]string, len(codes))
		for i, c := range codes {
			q[i] = strconv.Quote(c)
		}
		parts = append(parts, fmt.Sprintf("%s: [%s]", d, strings.Join(q, ", ")))
	}
	return strings.Join(parts, ", ")
}
