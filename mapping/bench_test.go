package mapping

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkMap measures one row through a typical mapping: key with trim
// and strip_leading_zeros, a timestamp in a zoned source, a direction
// code and a device column. Run:
//
//	go test ./mapping -run '^$' -bench Map -benchmem
func BenchmarkMap(b *testing.B) {
	hcm := mustLoc(b, "Asia/Ho_Chi_Minh")
	ny := mustLoc(b, "America/New_York")
	codes := map[Direction][]string{DirIn: {"0", "4"}, DirOut: {"1", "5"}}
	full := func(layout ...string) Spec {
		return Spec{
			EmployeeKey: Field{Column: Column{Name: "Emp No"}, Transform: []Transform{{Kind: TransformTrim}, {Kind: TransformStripLeadingZeros}}},
			Time:        Field{Column: Column{Name: "Time"}, Layouts: layout},
			Direction:   &DirectionField{Field: Field{Column: Column{Name: "State"}}, Codes: codes},
			Device:      &Field{Column: Column{Name: "Device"}},
		}
	}
	split := Spec{
		EmployeeKey: Field{Column: Column{Index: 1}},
		Date:        &Field{Column: Column{Index: 2}, Layout: "excel"},
		Time:        Field{Column: Column{Index: 3}, Layout: "excel"},
		Direction:   &DirectionField{Field: Field{Column: Column{Index: 4}}, Codes: codes},
	}
	hdr := []string{"Emp No", "Time", "State", "Device"}
	const n = 4096
	stamps := func(format func(time.Time) string) [][]string {
		rows := make([][]string, n)
		start := time.Date(2024, 3, 1, 7, 0, 0, 0, time.UTC)
		for i := range rows {
			t := start.Add(time.Duration(i) * 97 * time.Second)
			rows[i] = []string{"000" + strconv.Itoa(1000+i%500), format(t), strconv.Itoa(i % 2), "GATE-" + strconv.Itoa(i%3)}
		}
		return rows
	}
	iso := stamps(func(t time.Time) string { return t.Format("2006-01-02 15:04:05") })
	us := stamps(func(t time.Time) string { return t.Format("01/02/2006 03:04:05 pm") })
	serial := stamps(func(t time.Time) string {
		return strconv.FormatFloat(float64(t.Sub(excel1900Base))/float64(24*time.Hour), 'f', -1, 64)
	})
	splitRows := make([][]string, n)
	for i, r := range serial {
		f, _ := strconv.ParseFloat(r[1], 64)
		day := float64(int(f))
		splitRows[i] = []string{r[0], strconv.FormatFloat(day, 'f', -1, 64), strconv.FormatFloat(f-day, 'f', -1, 64), r[2]}
	}
	cases := []struct {
		name string
		spec Spec
		loc  *time.Location
		hdr  []string
		rows [][]string
	}{
		{"default_layouts_hcm", full(), hcm, hdr, iso},
		{"default_layouts_newyork", full(), ny, hdr, iso},
		{"explicit_layout_utc", full("2006-01-02 15:04:05"), nil, hdr, iso},
		{"ampm_lowercase", full("01/02/2006 03:04:05 PM"), hcm, hdr, us},
		{"excel_serial", full("excel"), hcm, hdr, serial},
		{"excel_date_and_time", split, hcm, nil, splitRows},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			bind := mustBind(b, c.spec, Options{Location: c.loc}, c.hdr)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, rej := bind.Map(Row{Fields: c.rows[i%n]}); rej != nil {
					b.Fatal(rej)
				}
			}
		})
	}
}

// BenchmarkMapReject is the cost of a row that fails every default layout.
func BenchmarkMapReject(b *testing.B) {
	bind := mustBind(b, Spec{EmployeeKey: Field{Column: Column{Index: 1}}, Time: Field{Column: Column{Index: 2}}}, Options{}, nil)
	row := Row{Fields: []string{"1", "31/12/2024 08:00"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, rej := bind.Map(row); rej == nil {
			b.Fatal("want a reject")
		}
	}
}
