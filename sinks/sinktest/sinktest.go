// Package sinktest is the one test suite every punch sink runs: it checks
// the points of sinks.PunchSink's contract, and the abilities a sink has,
// against a real target. A sink's own tests call Run once per target it
// supports (a database, an HTTP API through the outbox).
package sinktest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
)

// Target is one place punches go, fresh for the test that made it.
type Target struct {
	// Open opens a sink on the target. It is called more than once in a
	// test, as successive runs would; the suite closes what it opens.
	Open func(t *testing.T) sinks.PunchSink
	// Stored lists the keys the target holds, for the suite to check
	// that each punch is there exactly once; nil when the target cannot
	// be read back.
	Stored func(t *testing.T) []mapping.Key
	// SeesStored: the sink reads the target's keys, so a punch already
	// stored by another batch is Duplicate (a database). Without it only
	// a batch written again is (an HTTP API through the outbox, which
	// knows what it delivered, and leaves the rest to the target).
	SeesStored bool
	// Identity is the punch identity the sink must declare (sinks.Discover):
	// with the direction, an in and an out of one employee in one second
	// are two punches; without, the second is one punch already stored.
	Identity mapping.Identity
}

// Run runs the suite; newTarget makes a fresh target for each subtest.
func Run(t *testing.T, newTarget func(t *testing.T) Target) {
	t.Run("new punches are imported", func(t *testing.T) {
		tg := newTarget(t)
		batch := Punches(0, 10)
		expect(t, write(t, tg, batch), mapping.Imported, 10)
		tg.checkStored(t, batch)
	})
	t.Run("a batch written again is duplicate, with a reason", func(t *testing.T) {
		tg := newTarget(t)
		batch := Punches(0, 10)
		write(t, tg, batch)
		again := write(t, tg, batch)
		expect(t, again, mapping.Duplicate, 10)
		for i, o := range again {
			if o.Reason == "" {
				t.Fatalf("punch %d: duplicate without a reason", i)
			}
		}
		tg.checkStored(t, batch)
	})
	t.Run("an overlapping batch stores only what is new", func(t *testing.T) {
		tg := newTarget(t)
		write(t, tg, Punches(0, 10))
		out := write(t, tg, Punches(5, 10))
		if tg.SeesStored {
			expect(t, out[:5], mapping.Duplicate, 5)
		}
		expect(t, out[5:], mapping.Imported, 5)
		tg.checkStored(t, Punches(0, 15))
	})
	t.Run("identity is employee, second and device", func(t *testing.T) {
		tg := newTarget(t)
		p := Punches(0, 1)[0]
		other := p
		other.EmployeeID, other.SourceKey = "E2", "2"
		elsewhere := p
		elsewhere.DeviceID = "GATE-2"
		batch := []mapping.Punch{p, other, elsewhere}
		expect(t, write(t, tg, batch), mapping.Imported, 3)
		tg.checkStored(t, batch)
	})
	t.Run("the sink declares its identity", func(t *testing.T) {
		tg := newTarget(t)
		if got := sinks.Discover(open(t, tg)).Identity; got != tg.Identity {
			t.Fatalf("identity %+v, want %+v", got, tg.Identity)
		}
	})
	t.Run("two punches differing only in direction", func(t *testing.T) {
		tg := newTarget(t)
		in := Punches(0, 1)[0]
		out := in
		out.Direction, out.Origin.Line = mapping.DirOut, in.Origin.Line+1
		expect(t, write(t, tg, []mapping.Punch{in}), mapping.Imported, 1)
		second := write(t, tg, []mapping.Punch{out})
		if tg.Identity.Direction {
			expect(t, second, mapping.Imported, 1)
			tg.checkStored(t, []mapping.Punch{in, out})
			// Both in one batch, as a minute-precision export holds them.
			both := []mapping.Punch{in, out}
			for i := range both {
				both[i].Time = both[i].Time.Add(time.Hour)
			}
			expect(t, write(t, tg, both), mapping.Imported, 2)
			expect(t, write(t, tg, both), mapping.Duplicate, 2)
			return
		}
		if tg.SeesStored {
			expect(t, second, mapping.Duplicate, 1)
		}
		tg.checkStored(t, []mapping.Punch{in})
	})
	t.Run("an empty batch is no error", func(t *testing.T) {
		tg := newTarget(t)
		s := open(t, tg)
		if err := s.WritePunches(context.Background(), nil, nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("abilities", func(t *testing.T) {
		tg := newTarget(t)
		s := open(t, tg)
		a := sinks.Discover(s)
		ctx := context.Background()
		if enc := a.Encoder; enc != nil {
			var e sinks.Encoded
			for round, batch := range [][]mapping.Punch{Punches(0, 10), Punches(5, 10)} {
				e = enc.Encode(batch, e) // the second round reuses the first's buffers
				if !slices.Equal(e.Punches(), batch) {
					t.Fatalf("round %d: the encoding holds other punches than its batch", round)
				}
				out := make([]sinks.Outcome, len(batch))
				if err := enc.WriteEncoded(ctx, e, out); err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				expect(t, out[len(out)-5:], mapping.Imported, 5)
			}
			tg.checkStored(t, Punches(0, 15))
		}
		if tw := a.Twinner; tw != nil {
			twin, err := tw.Twin(ctx)
			if err != nil {
				t.Fatalf("twin: %v", err)
			}
			if twin == nil {
				return
			}
			if got := sinks.Discover(twin); (got.Encoder == nil) != (a.Encoder == nil) {
				t.Errorf("the twin's abilities differ from its sink's")
			}
			batch := Punches(100, 10)
			out := make([]sinks.Outcome, len(batch))
			if err := twin.WritePunches(ctx, batch, out); err != nil {
				t.Fatal(err)
			}
			expect(t, out, mapping.Imported, 10)
			if a.Encoder != nil {
				// A twin writes what its sink encoded.
				e := a.Encoder.Encode(Punches(200, 3), nil)
				out = out[:3]
				if err := sinks.Discover(twin).Encoder.WriteEncoded(ctx, e, out); err != nil {
					t.Fatal(err)
				}
				expect(t, out, mapping.Imported, 3)
			}
			if err := twin.Close(); err != nil {
				t.Fatalf("closing the twin: %v", err)
			}
		}
	})
}

// Punches are n punches of two employees, a minute apart from 2025-12-01
// 08:00 UTC plus from minutes, on device GATE-1, as mapped from line
// from+2 on of a file.
func Punches(from, n int) []mapping.Punch {
	t0 := time.Date(2025, 12, 1, 8, 0, 0, 0, time.UTC)
	out := make([]mapping.Punch, n)
	for i := range out {
		k := from + i
		emp := 1 + k%2
		out[i] = mapping.Punch{
			SourceKey: fmt.Sprint(emp), EmployeeID: fmt.Sprintf("E%d", emp), Time: t0.Add(time.Duration(k) * time.Minute),
			Direction: mapping.DirIn, DeviceID: "GATE-1", Source: "sinktest",
			Origin: mapping.Origin{File: "sinktest.csv", Line: k + 2},
		}
	}
	return out
}

func open(t *testing.T, tg Target) sinks.PunchSink {
	t.Helper()
	s := tg.Open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// write writes batch through a sink opened for it, as one run would.
func write(t *testing.T, tg Target, batch []mapping.Punch) []sinks.Outcome {
	t.Helper()
	s := tg.Open(t)
	defer s.Close()
	out := make([]sinks.Outcome, len(batch))
	for i := range out {
		out[i] = sinks.Outcome{Code: "unset"}
	}
	if err := s.WritePunches(context.Background(), batch, out); err != nil {
		t.Fatalf("write %d punches: %v", len(batch), err)
	}
	return out
}

func expect(t *testing.T, out []sinks.Outcome, code mapping.Code, n int) {
	t.Helper()
	if len(out) != n {
		t.Fatalf("%d outcomes, want %d", len(out), n)
	}
	for i, o := range out {
		if o.Code != code {
			t.Fatalf("punch %d: %s (%s), want %s", i, o.Code, o.Reason, code)
		}
	}
}

// checkStored checks that the target holds each punch of want exactly once,
// and nothing else.
func (tg Target) checkStored(t *testing.T, want []mapping.Punch) {
	t.Helper()
	if tg.Stored == nil {
		return
	}
	got := tg.Stored(t)
	keys := make([]mapping.Key, len(want))
	for i := range want {
		keys[i] = tg.Identity.Of(&want[i])
	}
	slices.SortFunc(got, compareKeys)
	slices.SortFunc(keys, compareKeys)
	if !slices.Equal(got, keys) {
		t.Fatalf("the target holds %d punches %v, want %d %v", len(got), got, len(keys), keys)
	}
}

func compareKeys(a, b mapping.Key) int {
	return cmp.Or(cmp.Compare(a.Unix, b.Unix), cmp.Compare(a.EmployeeID, b.EmployeeID), cmp.Compare(a.DeviceID, b.DeviceID), cmp.Compare(a.Direction, b.Direction))
}
