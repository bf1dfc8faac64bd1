package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// DevicePosition is how far `hrsync pull` has read one punch machine's
// attendance log, kept in the watermarks table under "device:<source>/<name>".
// The log only grows until it is cleared, so the records from index Count on
// are new, provided the record at Count-1 is still the one pulled last.
type DevicePosition struct {
	Serial string `json:"serial,omitempty"`
	Count  int    `json:"count"`          // records pulled: the index of the first new one
	Last   string `json:"last,omitempty"` // the record at Count-1 (PIN, time, state)
	// Pending are the inbox files written since the log was last cleared;
	// after_pull: clear waits until every one of them is archived by import.
	Pending []string `json:"pending,omitempty"`
	// From is, for each pending file, the index of its first record, so
	// a file lost before its import (a data folder that did not outlive
	// the run) is pulled again from there.
	From map[string]int `json:"from,omitempty"`
	// Drift is the device clock minus the host's, measured at CheckedAt
	// (the last pull that reached it), for support's view of the devices.
	Drift     time.Duration `json:"drift_ns,omitempty"`
	CheckedAt time.Time     `json:"checked_at,omitzero"`
}

func deviceKey(source, device string) string { return "device:" + source + "/" + device }

// DevicePosition reads a device's position; the zero position when none.
func (s *Store) DevicePosition(ctx context.Context, source, device string) (DevicePosition, error) {
	var p DevicePosition
	v, err := s.Watermark(ctx, deviceKey(source, device))
	if err != nil || v == "" {
		return p, err
	}
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return DevicePosition{}, fmt.Errorf("the stored position of device %s/%s is unreadable: %w", source, device, err)
	}
	return p, nil
}

// SetDevicePosition stores a device's position, after the file holding the
// records it covers is synced in the inbox.
func (s *Store) SetDevicePosition(ctx context.Context, source, device string, p DevicePosition) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return s.SetWatermark(ctx, deviceKey(source, device), string(b))
}
