// Package mapping turns source rows into punches or rejects. It is pure:
// no I/O, no clocks it was not handed, no globals.
package mapping

import (
	"strings"
	"time"
)

// Origin says where a row came from, as a person would look for it:
// the source name, the file (or table), the sheet, and the line or row
// number as the file's own program shows it (1-based).
type Origin struct {
	Source string `json:"source"`
	File   string `json:"file,omitempty"`
	Sheet  string `json:"sheet,omitempty"`
	Line   int    `json:"line"`
}

// Row is one input record, before mapping. Header is shared by all rows of
// one file (nil for positional sources). Err is set by a reader that could
// read the row but not make sense of it (ragged, unterminated quote, an
// error cell): the importer turns it into an invalid_row report line.
type Row struct {
	Origin Origin
	Header []string
	Fields []string
	Err    error
	// Text is the line as read when it could not be split into fields (a
	// broken quote), so the report can still show it; "" otherwise.
	Text string
	// Cursor is the source's position after this row (a database
	// watermark). The importer saves it once the row's batch is committed.
	Cursor string
}

// Direction of a punch.
type Direction string

const (
	DirUnknown     Direction = "unknown"
	DirIn          Direction = "in"
	DirOut         Direction = "out"
	DirBreakOut    Direction = "break_out"
	DirBreakIn     Direction = "break_in"
	DirOvertimeIn  Direction = "overtime_in"
	DirOvertimeOut Direction = "overtime_out"
)

// Directions lists every direction in a stable order.
var Directions = []Direction{DirIn, DirOut, DirBreakOut, DirBreakIn, DirOvertimeIn, DirOvertimeOut, DirUnknown}

// Punch is a mapped attendance record. EmployeeID is empty until the
// directory lookup fills it in.
type Punch struct {
	EmployeeID string
	SourceKey  string
	Time       time.Time // UTC, truncated to the second
	Direction  Direction
	DeviceID   string
	Source     string // the configured source name, kept in the HR table
	Origin     Origin
	// Note is what the row's report line says of a punch whose time a
	// documented rule chose (a wall time the clocks showed twice); "" for
	// most punches.
	Note string
}

// Key is the idempotency key of a punch: (employee, time to the second,
// device), and the direction when the Identity includes it (else empty).
type Key struct {
	EmployeeID string
	Unix       int64
	DeviceID   string
	Direction  Direction
}

// Folded is the key as a case-insensitive, trailing-space-blind collation
// (MySQL's default, SQL Server's) compares it: two punches whose keys fold
// alike are one row to such a database.
func (k Key) Folded() Key {
	k.EmployeeID = strings.ToLower(strings.TrimRight(k.EmployeeID, " "))
	k.DeviceID = strings.ToLower(strings.TrimRight(k.DeviceID, " "))
	k.Direction = Direction(strings.ToLower(strings.TrimRight(string(k.Direction), " ")))
	return k
}

// Identity is the one rule for which punches are the same punch, given by
// the sink (its table's unique key): always employee, time to the second
// and device; with Direction, the direction too, so an in and an out of
// one employee in the same minute of a minute-precision export are two
// punches. The zero Identity is the key without the direction.
type Identity struct {
	Direction bool
}

// Of is the key of p under the identity.
func (id Identity) Of(p *Punch) Key {
	k := Key{EmployeeID: p.EmployeeID, Unix: p.Time.Unix(), DeviceID: p.DeviceID}
	if id.Direction {
		k.Direction = StoredDirection(p.Direction)
	}
	return k
}

// Stored is a key read back from a target: a stored direction is compared
// as written, and ignored when the identity leaves it out.
func (id Identity) Stored(employee string, unix int64, device, direction string) Key {
	k := Key{EmployeeID: employee, Unix: unix, DeviceID: device}
	if id.Direction {
		k.Direction = StoredDirection(Direction(direction))
	}
	return k
}

// StoredDirection is the direction as a target stores it: none is unknown.
func StoredDirection(d Direction) Direction {
	if d == "" {
		return DirUnknown
	}
	return d
}

// Code is the outcome of one input row.
type Code string

const (
	Imported         Code = "imported"
	Duplicate        Code = "duplicate"
	Unmapped         Code = "unmapped"
	Inactive         Code = "inactive"
	InvalidTime      Code = "invalid_time"
	FutureTime       Code = "future_time"
	InvalidRow       Code = "invalid_row"
	DuplicateInInput Code = "duplicate_in_input"
	Filtered         Code = "filtered"
	Failed           Code = "failed"
	// Queued: written to the outbox for an HTTP target that has not taken it yet; later runs retry it.
	Queued Code = "queued"
	// Would* outcomes are what a dry run reports instead of writing.
	WouldImport Code = "would_import"
)

// Placed reports whether the outcome leaves the row accounted for in the HR
// system (exit code 0 territory).
func (c Code) Placed() bool {
	switch c {
	case Imported, Duplicate, DuplicateInInput, WouldImport, Filtered, Queued:
		return true
	}
	return false
}

// Reject is a row that could not become a punch, with the reason.
type Reject struct {
	Origin Origin
	Code   Code
	Field  string // the mapped field at fault (employee_key, time, date, direction, device), when one is
	Column string // the source column at fault, as the file names it, when one is
	Reason string
	Raw    []string
}

func (r *Reject) Error() string { return string(r.Code) + ": " + r.Reason }

// Employee is one person in the HR directory.
type Employee struct {
	ID              string            `json:"id"`
	AttendanceNo    string            `json:"attendance_no,omitempty"`
	EmployeeNo      string            `json:"employee_no,omitempty"`
	PlacementNo     string            `json:"placement_no,omitempty"`
	Name            string            `json:"name,omitempty"`
	Status          string            `json:"status,omitempty"`
	SBU             string            `json:"sbu,omitempty"`
	State           string            `json:"state,omitempty"`
	Branch          string            `json:"branch,omitempty"`
	Factory         string            `json:"factory,omitempty"`
	Department      string            `json:"department,omitempty"`
	SubDepartment   string            `json:"sub_department,omitempty"`
	Designation     string            `json:"designation,omitempty"`
	EmployeeType    string            `json:"employee_type,omitempty"`
	Email           string            `json:"email,omitempty"`
	OnboardingDate  string            `json:"onboarding_date,omitempty"`
	ResignationDate string            `json:"resignation_date,omitempty"`
	Extra           map[string]string `json:"extra,omitempty"`
}

// Active reports whether the employee's status counts as active. Real
// directories spell it many ways; anything that is not a known leaver
// status counts as active.
func (e *Employee) Active() bool {
	switch normStatus(e.Status) {
	case "inactive", "resigned", "terminated", "left", "leaver", "disabled", "deactivated", "0", "false", "no", "n":
		return false
	}
	return true
}

// TimeSpan is the earliest and the latest time among punches, which must
// not be empty: the range a write or a dry run reads stored keys in.
func TimeSpan(punches []Punch) (first, last time.Time) {
	first, last = punches[0].Time, punches[0].Time
	for i := range punches {
		if t := punches[i].Time; t.Before(first) {
			first = t
		} else if t.After(last) {
			last = t
		}
	}
	return first, last
}
