package mapping

import (
	"testing"
	"time"
)

func TestKeyFoldedAndTimeSpan(t *testing.T) {
	if got := (Key{EmployeeID: "E01  ", Unix: 5, DeviceID: "Gate "}).Folded(); got != (Key{EmployeeID: "e01", Unix: 5, DeviceID: "gate"}) {
		t.Errorf("Folded = %+v", got)
	}
	t0 := time.Date(2025, 12, 1, 8, 0, 0, 0, time.UTC)
	first, last := TimeSpan([]Punch{{Time: t0.Add(time.Hour)}, {Time: t0}, {Time: t0.Add(2 * time.Hour)}, {Time: t0.Add(time.Minute)}})
	if !first.Equal(t0) || !last.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("TimeSpan = %s, %s", first, last)
	}
}
