package resync

import (
	"context"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/sinks/sqlsink"
)

// A group of employees applied in one transaction that fails is applied
// again one employee per transaction: the employees before the failing one
// are reconciled, it and the rest are untouched, as without groups.
func TestAFailingGroupIsAppliedOneEmployeeAtATime(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b)
			e.seed(seed)
			var groups int
			grouping := func(s Store) Store {
				return &groupingStore{Store: s, sink: s.(groupApplier), before: func() {
					groups++
					// Another writer stores the punch E2's plan inserts.
					e.seed([]stored{"E2 2025-12-01 17:05 out GATE-1 gate"})
				}}
			}
			res, err := e.run(Options{Filter: production(), Prune: true, wrapStore: grouping})
			if err == nil {
				t.Fatal("want the collision")
			}
			if groups != 1 || res.Applied != 1 || !strings.Contains(err.Error(), "1 of 2 employees were reconciled") {
				t.Errorf("groups %d, applied %d, err %v", groups, res.Applied, err)
			}
			var expect []stored
			for _, s := range afterPrune {
				if strings.HasPrefix(string(s), "E1") {
					expect = append(expect, s)
				}
			}
			for _, s := range seed {
				if !strings.HasPrefix(string(s), "E1") {
					expect = append(expect, s)
				}
			}
			expect = append(expect, "E2 2025-12-01 17:05 out GATE-1 gate")
			equal(t, "E1 reconciled, E2 untouched", e.rows(), sortedCopy(expect))
		})
	}
}

// groupingStore applies groups through the sink, calling before first.
type groupingStore struct {
	Store
	sink   groupApplier
	before func()
}

func (g *groupingStore) ApplyChangesGroup(ctx context.Context, cs []sqlsink.EmployeeChanges) error {
	g.before()
	return g.sink.ApplyChangesGroup(ctx, cs)
}
