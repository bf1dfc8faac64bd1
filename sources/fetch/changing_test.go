package fetch

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// growingRemote is the local backend whose listing sees a file grow: the
// export program is still appending to it.
type growingRemote struct {
	*localRemote
	grow string
}

func (g growingRemote) List(ctx context.Context, dir string) ([]RemoteFile, error) {
	f, err := os.OpenFile(g.grow, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	f.WriteString("more punches\n")
	f.Close()
	return g.localRemote.List(ctx, dir)
}

func TestPullLeavesChangingFiles(t *testing.T) {
	data, inbox := t.TempDir(), t.TempDir()
	writeFiles(t, data, map[string]string{"att_1.dat": "done\n", "att_2.dat": "being written\n"})
	opts, _ := testOptions()
	opts.Dial = func(context.Context, Location) (Remote, error) {
		return growingRemote{localRemote: &localRemote{endpoint: "local"}, grow: filepath.Join(data, "att_2.dat")}, nil
	}
	ledger := newLedger()
	loc := Location{URL: data, Pattern: "att_*.dat", StableFor: 1} // 1ns: the second look is what matters
	results, err := Pull(context.Background(), "gate", loc, inbox, ledger, opts)
	if err != nil {
		t.Fatal(err)
	}
	got := outcomes(results)
	if got["att_1.dat"] != Pulled || got["att_2.dat"] != SkippedChanging {
		t.Fatalf("outcomes = %v", got)
	}
	for _, r := range results {
		if r.Outcome == SkippedChanging && !strings.Contains(r.Reason, "still being written") {
			t.Errorf("reason = %q", r.Reason)
		}
	}
	if files := inboxFiles(t, inbox); len(files) != 1 || files[0] != "att_1.dat" || ledger.len() != 1 {
		t.Errorf("inbox %v, ledger %d", files, ledger.len())
	}
}

func TestPullSameContentTwiceKeepsOneFile(t *testing.T) {
	// The ledger lost its record (or another source has the same file):
	// identical bytes already in the inbox are reused, not duplicated.
	data, inbox := t.TempDir(), t.TempDir()
	writeFiles(t, data, map[string]string{"att_1.dat": "same\n"})
	loc := Location{URL: data, Pattern: "*.dat", StableFor: -1}
	for range 2 {
		results, err := Pull(context.Background(), "gate", loc, inbox, newLedger(), Options{})
		if err != nil || len(results) != 1 || results[0].Outcome != Pulled || results[0].LocalPath != filepath.Join(inbox, "att_1.dat") {
			t.Fatalf("results %+v, err %v", results, err)
		}
	}
	if files := inboxFiles(t, inbox); len(files) != 1 {
		t.Errorf("inbox = %v", files)
	}
}
