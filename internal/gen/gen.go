// Package gen writes synthetic attendance data for benchmarks and the
// crash tests: employees, and punch exports sorted by time as real clocks
// write them. Deterministic for a given seed.
package gen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Spec sizes a data set.
type Spec struct {
	Employees int       // e.g. 5000
	Start     time.Time // first day (wall clock of the source zone)
	Days      int       // e.g. 61
	Punches   int       // total punches wanted, spread evenly
	Seed      uint64
}

// AttendanceNo is the key employee i punches with.
func AttendanceNo(i int) string { return fmt.Sprintf("%d", 100001+i) }

// EmployeeID is the HR id of employee i.
func EmployeeID(i int) string { return fmt.Sprintf("E%d", 100001+i) }

// WriteEmployeesCSV writes a directory with id, attendance_no, name, status,
// department (ten departments), designation and employee type.
func WriteEmployeesCSV(w io.Writer, n int) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "id,attendance_no,employee_no,name,status,department,designation,employee_type,branch")
	for i := 0; i < n; i++ {
		fmt.Fprintf(bw, "%s,%s,P%d,Employee %d,active,Dept-%02d,Operator,Permanent,HCM\n",
			EmployeeID(i), AttendanceNo(i), 100001+i, i, i%10)
	}
	return bw.Flush()
}

type punch struct {
	sec  int32 // seconds since the start of the day
	emp  int32
	slot int8 // even: in, odd: out
}

// WritePunchesCSV writes `AC-No,Time,State,Device` rows sorted by time.
func WritePunchesCSV(w io.Writer, s Spec) (int, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintln(bw, "AC-No,Time,State,Device")
	rng := rand.New(rand.NewPCG(s.Seed, 7))
	perDay := s.Punches / s.Days
	written := 0
	day := make([]punch, 0, perDay+s.Employees)
	for d := 0; d < s.Days; d++ {
		want := perDay
		if d == s.Days-1 {
			want = s.Punches - written
		}
		day = day[:0]
		for k := 0; k < want; k++ {
			emp := k % s.Employees
			// Each of an employee's punches that day falls in its own hour from
			// 06:00 on, so no two of them can share a second.
			slot := k / s.Employees
			base := (6 + slot%18) * 3600
			day = append(day, punch{sec: int32(base + rng.IntN(3600)), emp: int32(emp), slot: int8(slot)})
		}
		sort.Slice(day, func(i, j int) bool {
			if day[i].sec != day[j].sec {
				return day[i].sec < day[j].sec
			}
			return day[i].emp < day[j].emp
		})
		date := s.Start.AddDate(0, 0, d)
		for _, p := range day {
			t := date.Add(time.Duration(p.sec) * time.Second)
			state := "C/In"
			if p.slot%2 == 1 {
				state = "C/Out"
			}
			fmt.Fprintf(bw, "%s,%s,%s,GATE-%d\n", AttendanceNo(int(p.emp)), t.Format("2006-01-02 15:04:05"), state, 1+int(p.emp)%4)
		}
		written += want
	}
	return written, bw.Flush()
}

// MappingYAML is the config's mapping: section for the files
// WritePunchesCSV writes, each line indented by indent spaces, ending in a
// newline. Benchmarks and tests put it under their source.
func MappingYAML(indent int) string {
	pad := strings.Repeat(" ", indent)
	return pad + "mapping:\n" +
		pad + "  employee_key: { column: AC-No }\n" +
		pad + `  time: { column: Time, layout: "2006-01-02 15:04:05" }` + "\n" +
		pad + "  direction: { column: State, codes: { in: [C/In], out: [C/Out] } }\n" +
		pad + "  device: { column: Device }\n"
}

// WriteFolder writes the benchmarks' standard data set into dir:
// employees.csv with employees rows and punches.csv with rows punches over
// 61 days from 2025-11-01.
func WriteFolder(dir string, rows, employees int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, fill func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write("employees.csv", func(w io.Writer) error { return WriteEmployeesCSV(w, employees) }); err != nil {
		return err
	}
	return write("punches.csv", func(w io.Writer) error {
		_, err := WritePunchesCSV(w, Spec{Employees: employees, Start: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Days: 61, Punches: rows, Seed: 1})
		return err
	})
}
