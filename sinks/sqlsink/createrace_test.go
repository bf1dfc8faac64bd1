package sqlsink

import (
	"context"
	"sync"
	"testing"
)

// TestFirstRunsRaceToCreateTheTable: two first runs at once against one
// server (two configs, one HR table) both open: the one that loses the race
// to create the table finds the winner's, instead of failing with "already
// exists".
func TestFirstRunsRaceToCreateTheTable(t *testing.T) {
	for _, b := range backends(t) {
		if b.url == "" || b.name != "mariadb" && b.name != "postgres" {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			for round := range 5 { // a race: several rounds, each on a fresh table
				table := uniqueName("race")
				yes := true
				cfg := Config{URL: b.url, Create: &yes, EmployeesOnly: false, Punches: PunchesTable{Table: table}}
				t.Cleanup(func() { dropTables(b.url, table) })
				var wg sync.WaitGroup
				errs := make([]error, 4)
				for i := range errs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						s, err := Open(context.Background(), cfg)
						if err == nil {
							s.Close()
						}
						errs[i] = err
					}()
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("round %d, opener %d: %v", round, i, err)
					}
				}
			}
		})
	}
}
