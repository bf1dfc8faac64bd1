package pushusers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

func emuDevice(t *testing.T, users ...zkemu.User) (*zkemu.Device, string) {
	t.Helper()
	d := zkemu.NewDevice()
	d.SetUsers(users)
	s, err := zkemu.Listen("127.0.0.1:0", d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return d, s.Addr()
}

func usersByPIN(d *zkemu.Device) map[string]zkemu.User {
	m := map[string]zkemu.User{}
	for _, u := range d.Users() {
		m[u.PIN] = u
	}
	return m
}

// TestDeviceTarget: push-users creates and updates users on every device,
// PINs through hr.employees.key_transform, deactivates by disabling (never
// deleting), and leaves users the source does not name unless
// --deactivate-missing asks and the brake allows.
func TestDeviceTarget(t *testing.T) {
	ctx := context.Background()
	a, addrA := emuDevice(t, zkemu.User{PIN: "1234", Name: "Ann Old"}, zkemu.User{PIN: "1236", Name: "Cy"})
	b, addrB := emuDevice(t, zkemu.User{PIN: "9999", Name: "Zed"}, zkemu.User{PIN: "1236", Name: "Cy"})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "staff.csv"), []byte("id,name,status\n1234@company,Ann Lima,active\n1235@company,Bob Tran,active\n1236@company,Cy,resigned\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hrsync.yaml"), []byte(fmt.Sprintf(`
hr:
  url: sqlite://hr.db
  employees: { file: staff.csv, key_transform: [{ strip_suffix: "@company" }] }
sources:
  machines:
    timeout: 1s
    retries: 0
    devices:
      - { name: a, url: "zk://%s" }
      - { name: b, url: "zk://%s" }
push_users:
  source:
    path: staff.csv
    columns: { id: id, name: name, status: status }
  target: { kind: devices }
  required: [id, name, status]
  max_deactivate_share: 0.5
`, addrA, addrB)), 0o644)
	cfg, err := config.Load(filepath.Join(dir, "hrsync.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The brake: the one user on both devices would be deactivated.
	if _, err := Run(ctx, Options{Config: cfg, ReportPath: filepath.Join(dir, "r0.csv")}); err == nil {
		t.Fatal("the mass-deactivation brake did not stop the run")
	}
	if _, ok := usersByPIN(a)["1235"]; ok {
		t.Fatal("the brake let a change through")
	}
	res, err := Run(ctx, Options{Config: cfg, AllowMass: true, ReportPath: filepath.Join(dir, "r1.csv")})
	if err != nil {
		t.Fatalf("push: %v %+v", err, res.Counts)
	}
	for name, d := range map[string]*zkemu.Device{"a": a, "b": b} {
		us := usersByPIN(d)
		if _, ok := us["1235"]; !ok {
			t.Errorf("device %s: 1235 not created: %+v", name, us)
		}
		if u, ok := us["1234"]; !ok || u.Name == "" {
			t.Errorf("device %s: 1234 is %+v", name, u)
		}
		if u := us["1236"]; u.Privilege&1 == 0 {
			t.Errorf("device %s: the resigned 1236 is not disabled: %+v", name, u)
		}
		if _, ok := us["1234@company"]; ok {
			t.Errorf("device %s: the id went on unchanged", name)
		}
		if d.Disabled() {
			t.Errorf("device %s left disabled", name)
		}
	}
	if _, ok := usersByPIN(b)["9999"]; !ok {
		t.Fatal("a user the source does not name was removed")
	}
	// Again: nothing to do.
	res, err = Run(ctx, Options{Config: cfg, ReportPath: filepath.Join(dir, "r2.csv")})
	if err != nil || res.Counts[Create] != 0 {
		t.Fatalf("second push: %v %+v", err, res.Counts)
	}
	// 1235 leaves the source: without --deactivate-missing nothing
	// happens; with it (and the brake allowing) 1235 is disabled on both
	// devices, not deleted.
	os.WriteFile(filepath.Join(dir, "staff.csv"), []byte("id,name,status\n1234@company,Ann Lima,active\n1236@company,Cy,resigned\n"), 0o644)
	if _, err := Run(ctx, Options{Config: cfg, ReportPath: filepath.Join(dir, "r3.csv")}); err != nil {
		t.Fatal(err)
	}
	if u := usersByPIN(a)["1235"]; u.Privilege&1 != 0 {
		t.Fatal("disabled without --deactivate-missing")
	}
	if _, err := Run(ctx, Options{Config: cfg, DeactivateMissing: true, AllowMass: true, ReportPath: filepath.Join(dir, "r4.csv")}); err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]*zkemu.Device{"a": a, "b": b} {
		if u, ok := usersByPIN(d)["1235"]; !ok || u.Privilege&1 == 0 {
			t.Errorf("device %s: 1235 is %+v, want kept and disabled", name, u)
		}
	}
}
