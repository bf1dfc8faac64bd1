package sqlsink

import (
	"context"
	"testing"
	"time"

	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sinks/sinktest"
)

// TestPunchSinkContract runs the suite every punch sink runs on each
// database: SQLite always, the servers when they answer (SQL Server and
// Oracle when HRSYNC_TEST_MSSQL_DSN / HRSYNC_TEST_ORACLE_DSN are set).
func TestPunchSinkContract(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			reachable(t, b)
			sinktest.Run(t, func(t *testing.T) sinktest.Target {
				cfg := testConfig()
				open := func(t *testing.T) *Sink {
					s, err := b.open(t, cfg)
					if err != nil {
						t.Fatal(err)
					}
					return s
				}
				return sinktest.Target{
					Open:       func(t *testing.T) sinks.PunchSink { return open(t) },
					Stored:     func(t *testing.T) []mapping.Key { return storedKeys(t, open(t)) },
					SeesStored: true,
				}
			})
		})
	}
}

// storedKeys lists the keys of every punch of the sinktest employees.
func storedKeys(t *testing.T, s *Sink) []mapping.Key {
	t.Helper()
	var keys []mapping.Key
	from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	err := s.ReadPunches(context.Background(), []string{"E1", "E2"}, from, from.AddDate(100, 0, 0), func(p StoredPunch) error {
		keys = append(keys, p.Key())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
