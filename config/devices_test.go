package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const devicesConfig = `
hr:
  url: sqlite://hr.db
timezone: Asia/Ho_Chi_Minh
sources:
  machines:
    devices:
      - name: gate
        url: zk://10.0.0.21:4370
        timezone: Europe/Paris
      - name: store
        url: zk://10.0.0.22?udp
        comm_key_file: store.key
    comm_key: ${ZK_KEY_TEST}
    after_pull: clear
    drift_tolerance: 30s
`

func TestDevicesConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "store.key"), []byte("4242\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ZK_KEY_TEST", "123456")
	c, err := Parse(filepath.Join(dir, "hrsync.yaml"), []byte(devicesConfig))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sources["machines"]
	if !s.ReadsInbox() || s.Mapping.EmployeeKey.Column.Name != "pin" {
		t.Fatalf("ReadsInbox %v, mapping %+v", s.ReadsInbox(), s.Mapping)
	}
	ds := c.AllDevices()
	if len(ds) != 2 {
		t.Fatalf("%d devices", len(ds))
	}
	g, st := ds[0], ds[1]
	if g.Endpoint.Addr != "10.0.0.21:4370" || g.Endpoint.UDP || g.CommKey != 123456 || g.Location.String() != "Europe/Paris" ||
		g.AfterPull != "clear" || g.Drift != 30*time.Second || g.Timeout != DefaultDeviceTimeout || g.Retries != DefaultDeviceRetries {
		t.Errorf("gate: %+v", g)
	}
	if st.Endpoint.Addr != "10.0.0.22:4370" || !st.Endpoint.UDP || st.CommKey != 4242 || st.Location.String() != "Asia/Ho_Chi_Minh" {
		t.Errorf("store: %+v", st)
	}
}

// TestDevicesConfigErrors: config check refuses what a pull would, naming
// the key and its line, and never prints a comm key.
func TestDevicesConfigErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "store.key"), []byte("1"), 0o600)
	t.Setenv("ZK_KEY_TEST", "1")
	for _, c := range []struct{ from, to, want string }{
		{"zk://10.0.0.21:4370", "http://10.0.0.21", `:7: sources.machines.devices: device "gate": url: scheme "http"`},
		{"zk://10.0.0.21:4370", "zk://10.0.0.21:99999", `port "99999"`},
		{"zk://10.0.0.21:4370", "zk://10.0.0.21?tls", `unknown option ?tls`},
		{"after_pull: clear", "after_pull: wipe", `:15: sources.machines.after_pull: "wipe": want keep, clear`},
		{"Europe/Paris", "Mars/Olympus", `device "gate": timezone: unknown time zone`},
		{"name: store", "name: gate", `device "gate" is listed twice`},
		{"${ZK_KEY_TEST}", "secret-key-987", `sources.machines.comm_key: is not a comm key`},
		{"    after_pull: clear", "    after_pull: clear\n    path: x.csv", `sources.machines.path: a source with devices:`},
	} {
		_, err := Parse(filepath.Join(dir, "hrsync.yaml"), []byte(strings.Replace(devicesConfig, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: got %v, want %q", c.from, c.to, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "987") {
			t.Errorf("the error shows the comm key: %v", err)
		}
	}
}
