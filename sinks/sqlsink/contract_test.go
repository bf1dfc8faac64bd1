package sqlsink

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks"
	"github.com/hrsync/hrsync/sinks/sinktest"
)

// TestPunchSinkContract runs the suite every punch sink runs on each
// database: SQLite always, the servers when they answer (SQL Server and
// Oracle when HRSYNC_TEST_MSSQL_DSN / HRSYNC_TEST_ORACLE_DSN are set); on
// the table hrsync creates (the direction in its key where the database
// allows) and on one created with hr.punches.direction_in_key: false, as
// tables made before it had.
func TestPunchSinkContract(t *testing.T) {
	no := false
	for _, b := range backends(t) {
		for _, v := range []struct {
			name string
			set  *bool
		}{{"", nil}, {"/key without direction", &no}} {
			t.Run(b.name+v.name, func(t *testing.T) {
				reachable(t, b)
				sinktest.Run(t, func(t *testing.T) sinktest.Target {
					cfg := testConfig()
					cfg.Punches.DirectionInKey = v.set
					return sinkTarget(b, cfg)
				})
			})
		}
	}
}

// sinkTarget is the suite's target on backend b with cfg.
func sinkTarget(b backend, cfg Config) sinktest.Target {
	open := func(t *testing.T) *Sink {
		s, err := b.open(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	readsKeys := !strings.HasPrefix(b.name, "sqlserver") && !strings.HasPrefix(b.name, "oracle")
	return sinktest.Target{
		Open:       func(t *testing.T) sinks.PunchSink { return open(t) },
		Stored:     func(t *testing.T) []mapping.Key { return storedKeys(t, open(t)) },
		SeesStored: true,
		Identity:   mapping.Identity{Direction: readsKeys && cfg.Punches.DirectionInKey == nil},
	}
}

// storedKeys lists the keys of every punch of the sinktest employees.
func storedKeys(t *testing.T, s *Sink) []mapping.Key {
	t.Helper()
	var keys []mapping.Key
	from := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	err := s.ReadPunches(context.Background(), []string{"E1", "E2"}, from, from.AddDate(100, 0, 0), func(p StoredPunch) error {
		keys = append(keys, p.Key(s.Identity()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
