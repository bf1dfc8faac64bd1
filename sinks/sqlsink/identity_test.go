package sqlsink

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/setting"
	"github.com/hrsync/hrsync/mapping"
)

// An existing table keeps the key it has: one created without the
// direction stays without it when the setting is left out, and asking for
// the direction on it is refused, naming the key; one created with it is
// read back with it.
func TestExistingTableKeepsItsKey(t *testing.T) {
	no, yes := false, true
	for _, b := range backends(t) {
		if strings.HasPrefix(b.name, "sqlserver") || strings.HasPrefix(b.name, "oracle") {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			legacy := testConfig()
			legacy.Punches.DirectionInKey = &no
			if _, err := b.open(t, legacy); err != nil {
				t.Fatal(err)
			}
			legacy.Punches.DirectionInKey = nil
			s, err := b.open(t, legacy)
			if err != nil {
				t.Fatal(err)
			}
			if s.Identity() != (mapping.Identity{}) {
				t.Errorf("a table keyed without the direction is read as %+v", s.Identity())
			}
			legacy.Punches.DirectionInKey = &yes
			var se *setting.Error
			if _, err := b.open(t, legacy); !errors.As(err, &se) || se.Key != "punches.direction_in_key" {
				t.Errorf("direction_in_key: true on a table keyed without it: %v", err)
			}

			fresh := testConfig()
			if _, err := b.open(t, fresh); err != nil {
				t.Fatal(err)
			}
			fresh.Punches.DirectionInKey = &no // names only what a new table gets
			s, err = b.open(t, fresh)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Identity().Direction {
				t.Errorf("a table keyed with the direction is read as %+v", s.Identity())
			}
		})
	}
}

// The setting is refused where it cannot hold, as config check reports it.
func TestDirectionInKeyChecked(t *testing.T) {
	yes := true
	for _, c := range []struct {
		url  string
		cols map[string]string
	}{
		{"sqlite://hr.db", map[string]string{"direction": ""}},
		{"sqlserver://u@h/db", nil},
		{"oracle://u@h/db", nil},
	} {
		err := CheckTables(c.url, EmployeesTable{}, PunchesTable{Columns: c.cols, DirectionInKey: &yes})
		var se *setting.Error
		if !errors.As(err, &se) || se.Key != "punches.direction_in_key" {
			t.Errorf("%s %v: %v", c.url, c.cols, err)
		}
		if NewTableIdentity(c.url, PunchesTable{Columns: c.cols}).Direction {
			t.Errorf("%s %v: a new table would key on the direction", c.url, c.cols)
		}
	}
	if !NewTableIdentity("postgres://u@h/db", PunchesTable{}).Direction {
		t.Error("a new PostgreSQL table would not key on the direction")
	}
}

// Resync's writes name one row each: with the direction in the key, the in
// of an in-and-out pair is corrected and deleted without touching the out.
func TestApplyChangesNamesTheDirection(t *testing.T) {
	ctx := context.Background()
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			s, err := b.open(t, testConfig())
			if err != nil {
				t.Fatal(err)
			}
			if !s.Identity().Direction {
				t.Skip("this database keeps the key without the direction")
			}
			at := time.Date(2025, 12, 1, 8, 0, 0, 0, time.UTC)
			in := mapping.Punch{EmployeeID: "E1", Time: at, Direction: mapping.DirIn, DeviceID: "G1", Source: "gate"}
			out := in
			out.Direction = mapping.DirOut
			stored, err := write(ctx, s, []mapping.Punch{in, out})
			if err != nil || !stored[0] || !stored[1] {
				t.Fatalf("write the pair: %v %v", stored, err)
			}
			read := func() map[mapping.Direction]StoredPunch {
				got := map[mapping.Direction]StoredPunch{}
				if err := s.ReadPunches(ctx, []string{"E1"}, at, at.Add(time.Second), func(p StoredPunch) error {
					got[p.Direction] = p
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return got
			}
			before := read()
			moved := out
			moved.DeviceID = "G2"
			err = s.ApplyChanges(ctx, EmployeeChanges{EmployeeID: "E1",
				Update: []PunchFix{{Before: before[mapping.DirOut], After: moved}}, Delete: []StoredPunch{before[mapping.DirIn]}})
			if err != nil {
				t.Fatal(err)
			}
			after := read()
			if len(after) != 1 || after[mapping.DirOut].DeviceID != "G2" {
				t.Fatalf("after the changes: %+v", after)
			}
		})
	}
}
