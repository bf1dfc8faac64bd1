package pushusers

import (
	"context"
	"fmt"
	"slices"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/pushstore"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/iclock"
)

// iclockStore is what the iclock target needs of the push store.
type iclockStore interface {
	Users(ctx context.Context) ([]pushstore.DeviceUser, error)
	QueueUser(ctx context.Context, u pushstore.DeviceUser, serials []string, body string) error
	Devices(ctx context.Context, pendingOnly bool) ([]pushstore.Device, error)
}

// IclockTarget sends users to the devices that push to `hrsync serve`: each
// change is a DATA UPDATE USERINFO (or, for a leaver, DATA DELETE USERINFO)
// command queued for every device, which takes it on its next poll; the
// results are in `hrsync devices commands SN`. What it lists as the
// target's accounts is what it last queued, so a run sends only what
// changed. A user's PIN on the device is the employee's attendance number
// (what punches carry), else the id.
type IclockTarget struct {
	st      iclockStore
	devices []string // configured serials; nil: every approved device
}

// NewIclockTarget is the target over an open push store.
func NewIclockTarget(st iclockStore, devices []string) *IclockTarget {
	return &IclockTarget{st: st, devices: devices}
}

// OpenIclockTarget opens the config's push store as the target.
func OpenIclockTarget(ctx context.Context, cfg *config.Config) (Target, func(), error) {
	st, err := pushstore.Open(ctx, cfg.PushStorePath())
	if err != nil {
		return nil, nil, err
	}
	return NewIclockTarget(st, cfg.PushUsers.Target.Devices), func() { st.Close() }, nil
}

// Fields are what a device holds of a user.
func (t *IclockTarget) Fields() []string { return []string{"name", "status", "attendance_no"} }

// Employees are the users as last queued.
func (t *IclockTarget) Employees(ctx context.Context) ([]mapping.Employee, error) {
	us, err := t.st.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]mapping.Employee, 0, len(us))
	for _, u := range us {
		status := config.StatusActive
		if !u.Active {
			status = config.StatusResigned
		}
		out = append(out, mapping.Employee{ID: u.EmployeeID, AttendanceNo: u.PIN, Name: u.Name, Status: status})
	}
	return out, nil
}

// serials are the devices that get the users.
func (t *IclockTarget) serials(ctx context.Context) ([]string, error) {
	devs, err := t.st.Devices(ctx, false)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range devs {
		if d.Allowed && (t.devices == nil || slices.Contains(t.devices, d.Serial)) {
			out = append(out, d.Serial)
		}
	}
	for _, sn := range t.devices {
		if !slices.Contains(out, sn) {
			return nil, fmt.Errorf("push_users.target.devices: %s is not an approved device (hrsync devices list)", sn)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no approved device to send users to (hrsync devices approve SN)")
	}
	return out, nil
}

// Apply queues one command per change for every device. A change the
// device cannot take (a PIN too long, a tab in a name) fails alone.
func (t *IclockTarget) Apply(ctx context.Context, changes []Change) ([]error, error) {
	serials, err := t.serials(ctx)
	if err != nil {
		return nil, err
	}
	sent, err := t.st.Users(ctx)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]pushstore.DeviceUser, len(sent))
	for _, u := range sent {
		byID[u.EmployeeID] = u
	}
	errs := make([]error, len(changes))
	for i, c := range changes {
		// An update names only the fields it sets; the rest are as sent.
		e := c.Employee
		u, known := byID[e.ID]
		u.EmployeeID = e.ID
		set := func(f string) bool { return c.Create || !known || slices.Contains(c.Fields, f) }
		if set("attendance_no") || u.PIN == "" {
			if u.PIN = e.AttendanceNo; u.PIN == "" {
				u.PIN = e.ID
			}
		}
		if set("name") {
			u.Name = e.Name
		}
		if set("status") || !known {
			u.Active = e.Active()
		}
		var body string
		if u.Active {
			body, err = iclock.UpdateUser(u.PIN, u.Name, 0, "")
		} else {
			body, err = iclock.DeleteUser(u.PIN)
		}
		if err != nil {
			errs[i] = err
			continue
		}
		if err := t.st.QueueUser(ctx, u, serials, body); err != nil {
			return nil, err
		}
	}
	return errs, nil
}
