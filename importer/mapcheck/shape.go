package mapcheck

import (
	"fmt"
	"sort"

	"github.com/hrsync/hrsync/importer/report"
	"github.com/hrsync/hrsync/mapping"
)

// Suspicion is a shape of the placed punches that a wrong mapping leaves
// (every punch to one employee, one direction, one device, times all on
// the hour): each row parsed, so only the whole shows it. Each is a
// finding that fails map-check (exit 3) and names the field to check.
type Suspicion struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// minShape is how many placed punches a shape needs before it says
// anything: a handful of rows can be all one employee honestly.
const minShape = 20

// shapeState watches the placed punches of one source.
type shapeState struct {
	punches int64
	// byEmp counts each employee's punches, through a pointer so that a
	// row costs one lookup of its employee (Row shares it: the first punch
	// of an employee marks the employee seen).
	byEmp   map[string]*int64
	byDir   map[mapping.Direction]int64
	device  string
	devices int // distinct devices seen, counted up to 2
	onHour  int64
	// In and out of one employee in one second (a minute-precision export
	// writes :00): the punches of the current second, by employee and
	// device. Exports are time-sorted, so one second at a time suffices.
	sec   int64
	inSec secondPunches
	pairs Finding
}

func newShapeState() *shapeState {
	return &shapeState{byEmp: map[string]*int64{}, byDir: map[mapping.Direction]int64{}}
}

// secondPunches are the punches of one second by employee and device: a
// list, searched in turn, while it is short (a second of a time-sorted
// export holds a few punches), and a map past that (a minute-precision
// export holds every punch of a minute in its :00). Clearing a map once
// grown costs its size at every second, and a key made of the two ids
// cost an allocation per row.
type secondPunches struct {
	list  []secondPunch
	byKey map[[2]string]mapping.Direction
}

type secondPunch struct {
	emp, dev string
	dir      mapping.Direction
}

// shortSecond is how many punches secondPunches searches in turn.
const shortSecond = 32

func (s *secondPunches) reset() {
	s.list, s.byKey = s.list[:0], nil
}

func (s *secondPunches) get(emp, dev string) (mapping.Direction, bool) {
	if s.byKey != nil {
		d, ok := s.byKey[[2]string{emp, dev}]
		return d, ok
	}
	for i := range s.list {
		if s.list[i].emp == emp && s.list[i].dev == dev {
			return s.list[i].dir, true
		}
	}
	return "", false
}

func (s *secondPunches) put(emp, dev string, d mapping.Direction) {
	if s.byKey != nil {
		s.byKey[[2]string{emp, dev}] = d
		return
	}
	s.list = append(s.list, secondPunch{emp, dev, d})
	if len(s.list) > shortSecond {
		s.byKey = make(map[[2]string]mapping.Direction, 2*len(s.list))
		for _, p := range s.list {
			s.byKey[[2]string{p.emp, p.dev}] = p.dir
		}
	}
}

// watchShape looks at a row with a punch and an employee; emp is the
// employee's count in byEmp.
func (s *sourceState) watchShape(a *Analyzer, p *mapping.Punch, line *report.Line, emp *int64) {
	if !line.Outcome.Placed() && line.Outcome != mapping.DuplicateInInput {
		return
	}
	sh := s.shape
	if line.Outcome != mapping.DuplicateInInput {
		sh.punches++
		*emp++
		sh.byDir[p.Direction]++
		if sh.devices == 0 || sh.devices == 1 && p.DeviceID != sh.device {
			sh.devices++
			sh.device = p.DeviceID
		}
		if t := p.Time.In(s.loc); t.Minute() == 0 && t.Second() == 0 {
			sh.onHour++
		}
	}
	u := p.Time.Unix()
	if u != sh.sec {
		sh.sec = u
		sh.inSec.reset()
	}
	if d, ok := sh.inSec.get(line.EmployeeID, p.DeviceID); ok && d != p.Direction {
		ex := a.example(line, "")
		ex.Reason = fmt.Sprintf("%s and %s of %s at %s", d, p.Direction, line.EmployeeID, p.Time.In(s.loc).Format("2006-01-02 15:04:05"))
		sh.pairs.add(a.opt.Examples, ex)
	} else if !ok {
		sh.inSec.put(line.EmployeeID, p.DeviceID, p.Direction)
	}
}

// suspicions reads the shape once every row is in.
func (s *sourceState) suspicions() []Suspicion {
	sh := s.shape
	if sh.punches < minShape || s.src == nil {
		return nil
	}
	m := &s.src.Mapping
	col := func(f *mapping.Field) string {
		if f == nil || f.Column.IsZero() {
			return ""
		}
		return " (column " + f.Column.String() + ")"
	}
	var out []Suspicion
	var top string
	var topN int64
	for e, c := range sh.byEmp {
		if n := *c; n > topN || n == topN && e < top {
			top, topN = e, n
		}
	}
	// With two employees one may honestly punch most; from three on, one
	// taking most of the punches is a key column that hardly varies.
	if topN*2 > sh.punches && s.directorySize >= 3 {
		out = append(out, Suspicion{mapping.FieldEmployeeKey, fmt.Sprintf("employee %s receives %d of %d punches (%s): check employee_key%s; a column holding one value (a machine number, a verify mode) is not a key",
			top, topN, sh.punches, pct(float64(topN)/float64(sh.punches)), col(&m.EmployeeKey))})
	}
	if m.Direction != nil && !m.Direction.Column.IsZero() && len(sh.byDir) == 1 {
		for d := range sh.byDir {
			out = append(out, Suspicion{mapping.FieldDirection, fmt.Sprintf("every one of %d punches is %s: check direction%s and its codes", sh.punches, d, col(&m.Direction.Field))})
		}
	}
	if m.Device != nil && !m.Device.Column.IsZero() && sh.devices == 1 {
		out = append(out, Suspicion{mapping.FieldDevice, fmt.Sprintf("every one of %d punches has device %q: check device%s; one clock is fine, a column that is the same on every row may be something else",
			sh.punches, sh.device, col(m.Device))})
	}
	if sh.onHour == sh.punches {
		f := mapping.FieldTime
		out = append(out, Suspicion{f, fmt.Sprintf("every one of %d punch times is on the hour (minutes and seconds 0): check time%s and its layout (minutes read as something else?)", sh.punches, col(&m.Time))})
	}
	sort.SliceStable(out, func(i, j int) bool { return fieldRank(out[i].Field) < fieldRank(out[j].Field) })
	return out
}

func fieldRank(f string) int {
	for i, n := range fieldOrder {
		if n == f {
			return i
		}
	}
	return len(fieldOrder)
}
