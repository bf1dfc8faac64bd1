package mapping_test

import (
	"bytes"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hrsync/hrsync/mapping"
)

// A whole pass as the importer does it: decode the config strictly,
// compile with the source's zone and a clock, bind the header, map rows.
func Example() {
	config := `
employee_key: { column: "Emp No", transform: [trim, strip_leading_zeros] }
time:         { column: "Check Time", layout: "02/01/2006 15:04:05" }
direction:    { column: State, codes: { in: [0, 4], out: [1, 5] } }
device:       { value: GATE-1 }
`
	dec := yaml.NewDecoder(bytes.NewBufferString(config))
	dec.KnownFields(true)
	var spec mapping.Spec
	if err := dec.Decode(&spec); err != nil {
		fmt.Println(err)
		return
	}
	zone, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	now := func() time.Time { return time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC) }
	m, err := spec.Compile(mapping.Options{Location: zone, Now: now})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := m.Bind([]string{"Emp No", "Check Time", "State"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, fields := range [][]string{
		{"00042", "01/03/2024 08:30:00", "0"},
		{"00042", "01/03/2024 17:67:00", "1"},
		{"00043", "01/03/2024 17:05:00", "9"},
	} {
		p, rej := b.Map(mapping.Row{Origin: mapping.Origin{Source: "gate", File: "att.csv", Line: i + 2}, Fields: fields})
		if rej != nil {
			fmt.Printf("line %d %s [%s]: %s\n", rej.Origin.Line, rej.Code, rej.Column, rej.Reason)
			continue
		}
		fmt.Printf("line %d %s %s %s %s\n", p.Origin.Line, p.SourceKey, p.Time.Format(time.RFC3339), p.Direction, p.DeviceID)
	}
	// Output:
	// line 2 42 2024-03-01T01:30:00Z in GATE-1
	// line 3 invalid_time [Check Time]: time column "Check Time" value "01/03/2024 17:67:00" is not a valid time: it fits a layout but the minute is out of range; layouts tried: "02/01/2006 15:04:05"
	// line 4 invalid_row [State]: direction column "State" value "9" is not one of the codes (in: 0, 4; out: 1, 5); set direction.unknown: keep to import such punches as unknown
}
