package importer

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/zk/zkemu"
)

// TestDevicePullLostInbox: the data folder does not outlive the run (a
// CronJob's pod) but the state does. A pulled file lost before its import
// is pulled again from its first record, nothing more; after the import
// the archive folder's loss does not hold back after_pull: clear.
func TestDevicePullLostInbox(t *testing.T) {
	ctx := context.Background()
	d := zkemu.NewDevice()
	recs := zkemu.Generate(6, 3, zkStart)
	d.SetRecords(recs[:4])
	cfg := deviceSetup(t, "    after_pull: clear\n", "gate", serveDevice(t, d))
	inbox := cfg.InboxDir(cfg.Sources["machines"])

	first := lineOf(t, pullOnce(t, cfg), "gate") // records 0-3, not imported yet
	if first.Device.New != 4 {
		t.Fatalf("first pull: %+v", first.Device)
	}
	d.SetRecords(recs)
	second := lineOf(t, pullOnce(t, cfg), "gate") // records 4-5
	if second.Device.New != 2 {
		t.Fatalf("second pull: %+v", second.Device)
	}
	// The second file is lost; the first still waits in the inbox.
	if err := os.Remove(second.LocalPath); err != nil {
		t.Fatal(err)
	}
	again := lineOf(t, pullOnce(t, cfg), "gate")
	if again.Device.New != 2 || !strings.Contains(again.Reason, "lost from the inbox before its import") {
		t.Fatalf("after the loss: %+v %q", again.Device, again.Reason)
	}
	if rows := readCSV(t, again.LocalPath); len(rows) != 3 {
		t.Fatalf("re-pulled file: %v", rows)
	}
	res, err := Import(ctx, Options{Config: cfg})
	if err != nil || res.Counts[mapping.Imported] != 6 || res.Counts.Total() != 6 {
		t.Fatalf("import: %v %v, want the 6 records once", res.Counts, err)
	}
	// The inbox goes, archive included: the ledger in the state says
	// what was imported, and the clear goes ahead.
	if err := os.RemoveAll(inbox); err != nil {
		t.Fatal(err)
	}
	if l := lineOf(t, pullOnce(t, cfg), "gate"); !l.Device.Cleared || d.RecordCount() != 0 {
		t.Fatalf("after the archive's loss: %+v %q", l.Device, l.Reason)
	}
}
