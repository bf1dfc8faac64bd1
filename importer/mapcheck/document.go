// Package mapcheck is `hrsync map-check`: it watches a dry run of the
// import engine (importer.Import with DryRun and NoState) through the
// engine's Observer hook and explains what the mapping makes of a source:
// what was detected, how each field binds and parses, day/month ambiguity,
// direction codes, unmapped keys with near matches, directory coverage,
// duplicates, future and too-early times, and the outcome counts import
// would produce. It never maps rows itself; the engine does.
//
// Memory is flat in the number of rows apart from the unmapped-key summary
// (one entry per distinct unmapped key, capped by Options.MaxUnmappedKeys).
package mapcheck

import (
	"time"

	"github.com/hrsync/hrsync/internal/exitcode"
)

// Document is map-check's result, printed as tables or as one JSON document.
type Document struct {
	Config  string           `json:"config,omitempty"`
	Sample  int              `json:"sample,omitempty"` // rows per source, 0 = all
	Sources []*SourceReport  `json:"sources"`
	Total   int64            `json:"total"`
	Counts  map[string]int64 `json:"counts"` // outcome → rows, as import would count them
	// Rejected rows would not be placed; Unmapped is the part of them whose
	// key matches no employee.
	Rejected        int64     `json:"rejected"`
	Unmapped        int64     `json:"unmapped"`
	UnmappedPercent float64   `json:"unmapped_percent"`
	MaxUnmapped     *float64  `json:"max_unmapped_percent,omitempty"`
	Coverage        *Coverage `json:"coverage,omitempty"`
	// Failures are files or sources that could not be read at all.
	Failures []string `json:"failures,omitempty"`
	// StoredNote says why punches already in the HR database could not be
	// told apart (counted as would_import): no database or punch table yet.
	StoredNote string        `json:"stored_note,omitempty"`
	ExitCode   exitcode.Code `json:"exit_code"`
	Verdict    string        `json:"verdict"`
}

// SourceReport is what map-check found in one configured source.
type SourceReport struct {
	Name       string           `json:"name"`
	Timezone   string           `json:"timezone"`
	Rows       int64            `json:"rows"`
	Counts     map[string]int64 `json:"counts"`
	Files      []FileReport     `json:"files"`
	Fields     []FieldReport    `json:"fields"`
	Dates      []DateReport     `json:"dates,omitempty"`
	Directions *DirectionReport `json:"directions,omitempty"`
	Unmapped   UnmappedReport   `json:"unmapped"`
	Duplicates Finding          `json:"duplicates_in_input"`
	Future     Finding          `json:"future_times"`
	BeforeFrom Finding          `json:"before_floor"`
	// Ambiguous rows hold a local time the clocks showed twice (the
	// daylight-saving overlap): the first occurrence was taken.
	Ambiguous Finding `json:"ambiguous_times"`
	// Unreadable rows could not be read or the mapping could not bind to
	// their file; no field was looked at.
	Unreadable Finding `json:"unreadable_rows"`
	// Suspicions are shapes a wrong mapping leaves; each fails map-check.
	Suspicions []Suspicion `json:"suspicions,omitempty"`
	// SameSecondPairs are an in and an out of one employee in one second.
	SameSecondPairs Finding    `json:"same_second_pairs"`
	FirstTime       *time.Time `json:"first_time,omitempty"`
	LastTime        *time.Time `json:"last_time,omitempty"`
}

// FileReport is what the reader detected in one file and how the mapping
// bound to its columns.
type FileReport struct {
	File      string            `json:"file"`
	Format    string            `json:"format,omitempty"`
	Encoding  string            `json:"encoding,omitempty"`
	Delimiter string            `json:"delimiter,omitempty"`
	Sheet     string            `json:"sheet,omitempty"`
	Sheets    []string          `json:"sheets,omitempty"`
	HeaderRow int               `json:"header_row,omitempty"`
	Columns   []string          `json:"columns,omitempty"`
	Bound     map[string]string `json:"bound,omitempty"` // field → column
	BindError string            `json:"bind_error,omitempty"`
	OpenError string            `json:"open_error,omitempty"`
	Rows      int64             `json:"rows"`
}

// FieldReport says how one mapped field fared. Fields are looked at in
// the order employee_key, time, date, direction, device, and a row stops at
// the first field that fails, so NotReached counts rows a field never saw.
type FieldReport struct {
	Field      string    `json:"field"`
	Columns    []string  `json:"columns,omitempty"` // as bound, per distinct header
	Constant   bool      `json:"constant,omitempty"`
	Parsed     int64     `json:"parsed"`
	Failed     int64     `json:"failed"`
	NotReached int64     `json:"not_reached"`
	Examples   []Example `json:"examples,omitempty"` // first few failures
}

// Example is one row that shows a finding: where it is and what it holds.
type Example struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line"`
	Raw    string `json:"raw,omitempty"` // the cell at fault, as the file has it
	Key    string `json:"key,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Finding is a counted problem with its first few examples.
type Finding struct {
	Count    int64     `json:"count"`
	Examples []Example `json:"examples,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// DateReport is the day/month evidence for one date-bearing column.
type DateReport struct {
	Field   string `json:"field"`
	Column  string `json:"column"`
	Values  int64  `json:"values"`  // non-blank values looked at
	Numeric int64  `json:"numeric"` // values with an all-number date such as 03/04/2025
	// Order is where the year is: "year-last" (03/04/2025) or "year-first" (2025-03-04).
	Order string `json:"order,omitempty"`
	// FirstAbove12 / SecondAbove12 count values whose first / second
	// day-or-month number is above 12, so can only be a day.
	FirstAbove12   int64    `json:"first_above_12"`
	SecondAbove12  int64    `json:"second_above_12"`
	FirstExample   *Example `json:"first_above_12_example,omitempty"`
	SecondExample  *Example `json:"second_above_12_example,omitempty"`
	Ambiguous      bool     `json:"ambiguous"`
	DataSays       string   `json:"data_says"`                 // day-first, month-first, mixed, either, n/a
	MappingUses    []string `json:"mapping_uses"`              // per configured layout: "\"02/01/2006 15:04\" (day-first)"
	MappingReading string   `json:"mapping_reading,omitempty"` // day-first, month-first, year-first, excel, mixed
	Verdict        string   `json:"verdict"`
}

// DirectionReport lists the direction codes seen and what each maps to.
type DirectionReport struct {
	Column  string          `json:"column,omitempty"`
	Codes   []DirectionCode `json:"codes"`
	Unknown int64           `json:"unknown_rows"` // rows whose code is not configured
	Other   int64           `json:"other_rows,omitempty"`
}

// DirectionCode is one raw code and its tally.
type DirectionCode struct {
	Code      string `json:"code"`
	Count     int64  `json:"count"`
	Direction string `json:"direction"` // in, out, ..., "unknown (kept)" or "not a code (rejected)"
	Known     bool   `json:"known"`
}

// UnmappedReport groups the rows whose key matched no employee.
type UnmappedReport struct {
	Rows         int64         `json:"rows"`
	DistinctKeys int           `json:"distinct_keys"`
	Keys         []UnmappedKey `json:"keys,omitempty"` // most rows first
	// UntrackedRows are unmapped rows whose key arrived after
	// Options.MaxUnmappedKeys distinct keys were already being tracked.
	UntrackedRows int64 `json:"untracked_rows,omitempty"`
	Fixes         []Fix `json:"fixes,omitempty"`
}

// UnmappedKey is one key that matched no employee.
type UnmappedKey struct {
	Key       string     `json:"key"`
	Count     int64      `json:"count"`
	First     time.Time  `json:"first"`
	Last      time.Time  `json:"last"`
	File      string     `json:"file,omitempty"`
	FirstLine int        `json:"first_line"`
	Near      *NearMatch `json:"near_match,omitempty"`
}

// NearMatch is an employee the key would match after a transform.
type NearMatch struct {
	EmployeeID string `json:"employee_id"`
	Field      string `json:"field"` // the directory field that matched (attendance_no, ...)
	Value      string `json:"value"` // its value in the directory
	Fix        string `json:"fix"`   // the transforms, as YAML
}

// Fix is one transform that would place some unmapped keys, ready to paste.
type Fix struct {
	// Where the transform goes: "sources.NAME.mapping.employee_key.transform"
	// or "hr.employees.key_transform".
	Key        string `json:"key"`
	Transform  string `json:"transform"` // YAML flow list
	Keys       int    `json:"keys"`      // distinct unmapped keys it places
	Rows       int64  `json:"rows"`
	YAML       string `json:"yaml"` // the config fragment
	Employees  int    `json:"employees,omitempty"`
	Conflicted int    `json:"keys_matching_another_employee,omitempty"`
}

// Coverage compares the directory with the punches seen.
type Coverage struct {
	Employees      int        `json:"employees"`
	Active         int        `json:"active"`
	ActiveWithout  int        `json:"active_without_punches"`
	Without        []Employee `json:"without_punches,omitempty"` // the first ones, by id
	WindowFrom     *time.Time `json:"window_from,omitempty"`
	WindowTo       *time.Time `json:"window_to,omitempty"`
	MatchedOnField []string   `json:"match"`
}

// Employee names a directory entry in a finding.
type Employee struct {
	ID           string `json:"id"`
	Name         string `json:"name,omitempty"`
	AttendanceNo string `json:"attendance_no,omitempty"`
	EmployeeNo   string `json:"employee_no,omitempty"`
	Department   string `json:"department,omitempty"`
}

// Outcome is the verdict as the error the command returns: nil when every
// row would be placed, else an outcome carrying the exit code; the printed
// document has explained it already.
func (d *Document) Outcome() error {
	if d.ExitCode == exitcode.OK {
		return nil
	}
	return exitcode.Incomplete(d.ExitCode, "%s", d.Verdict)
}
