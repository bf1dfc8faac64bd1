package pushusers

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/zk"
)

// DeviceTarget is every configured punch machine as one push-users target
// (push_users.target.kind: devices): a user is created or updated on each
// device, matched by PIN. The employee id becomes the PIN through
// hr.employees.key_transform, the transforms punches are matched with, so
// "1234@company" in the HR system is user 1234 on the devices. A user is
// never deleted from a device: deactivating one sets the disabled bit of
// its privilege, which the device refuses at the keypad and the readers,
// and a later activation clears it again.
type DeviceTarget struct {
	devs             []config.DeviceConn
	active, resigned string
}

// NewDeviceTarget is the target of every device the config lists.
func NewDeviceTarget(cfg *config.Config) *DeviceTarget {
	t := &cfg.PushUsers.Target
	return &DeviceTarget{devs: cfg.AllDevices(), active: t.ActiveValue, resigned: t.ResignedValue}
}

// Fields: a device holds a name and whether the user may punch.
func (t *DeviceTarget) Fields() []string { return []string{"name", "status"} }

const privDisabled = 1 // bit 0 of the privilege byte

// DevicePINs turns the source's employee ids into device PINs with the
// directory's key transforms, before the plan compares them.
func DevicePINs(cfg *config.Config, records []Record) {
	ts := cfg.HR.Employees.KeyTransform
	if len(ts) == 0 {
		return
	}
	for i := range records {
		records[i].Employee.ID = mapping.ApplyTransforms(ts, records[i].Employee.ID)
	}
}

// Employees lists the users every device holds, by PIN: a user missing
// from one device is left out, so the plan creates it and the create
// reaches the devices without it (and updates the others). A user disabled
// on any device counts as resigned, so an active employee is enabled
// everywhere. A device that cannot be read fails the listing: a plan made
// without it would not know who is there.
func (t *DeviceTarget) Employees(ctx context.Context) ([]mapping.Employee, error) {
	byPIN := map[string]*mapping.Employee{}
	seen := map[string]int{}
	var order []string
	for _, dc := range t.devs {
		users, err := t.read(ctx, dc)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			status := t.active
			if u.Privilege&privDisabled != 0 {
				status = t.resigned
			}
			seen[u.PIN]++
			e, ok := byPIN[u.PIN]
			if !ok {
				e = &mapping.Employee{ID: u.PIN, Name: u.Name, Status: status}
				byPIN[u.PIN] = e
				order = append(order, u.PIN)
			} else if status == t.resigned {
				e.Status = t.resigned
			}
		}
	}
	out := make([]mapping.Employee, 0, len(order))
	for _, p := range order {
		if seen[p] == len(t.devs) {
			out = append(out, *byPIN[p])
		}
	}
	return out, nil
}

func (t *DeviceTarget) read(ctx context.Context, dc config.DeviceConn) ([]zk.User, error) {
	c, err := importer.DialDevice(ctx, dc)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", dc.Name, err)
	}
	defer c.Close()
	us, err := c.ReadUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", dc.Name, err)
	}
	return us, nil
}

// Apply writes the changes to every device. A change fails when it failed
// on any device, naming the devices; the others keep what was written.
func (t *DeviceTarget) Apply(ctx context.Context, changes []Change) ([]error, error) {
	errs := make([][]error, len(changes))
	for _, dc := range t.devs {
		for i, err := range t.applyOne(ctx, dc, changes) {
			if err != nil {
				errs[i] = append(errs[i], fmt.Errorf("device %s: %w", dc.Name, err))
			}
		}
	}
	out := make([]error, len(changes))
	for i, e := range errs {
		out[i] = errors.Join(e...)
	}
	return out, nil
}

// applyOne reads the device's users (for their UIDs and entry layout),
// then writes each changed user, one change at a time so a refused entry
// fails only its own change.
func (t *DeviceTarget) applyOne(ctx context.Context, dc config.DeviceConn, changes []Change) []error {
	errs := make([]error, len(changes))
	fill := func(err error) []error {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	c, err := importer.DialDevice(ctx, dc)
	if err != nil {
		return fill(err)
	}
	defer c.Close()
	users, err := c.ReadUsers(ctx)
	if err != nil {
		return fill(err)
	}
	byPIN := map[string]zk.User{}
	var maxUID uint16
	for _, u := range users {
		byPIN[u.PIN] = u
		maxUID = max(maxUID, u.UID)
	}
	for i, ch := range changes {
		e := ch.Employee
		u, ok := byPIN[e.ID]
		if !ok {
			if maxUID == 0xffff {
				errs[i] = errors.New("the device has no free user number")
				continue
			}
			maxUID++
			u = zk.User{UID: maxUID, PIN: e.ID}
		}
		if ch.Create || !ok || slices.Contains(ch.Fields, "name") {
			if e.Name != "" || !ch.Create {
				u.Name = e.Name
			}
		}
		if ch.Create || slices.Contains(ch.Fields, "status") {
			if e.Status == t.resigned {
				u.Privilege |= privDisabled
			} else {
				u.Privilege &^= privDisabled
			}
		}
		if err := c.WriteUsers(ctx, []zk.User{u}); err != nil {
			errs[i] = err
			continue
		}
		byPIN[e.ID] = u
	}
	return errs
}
