package iclock

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkUpload: devices uploading 100-record ATTLOG batches in parallel
// over loopback to the handler and the real store (sync=FULL, group commit).
// Reports acknowledged records per second; sources/iclock/bench gives
// latency percentiles and the server's peak memory.
func BenchmarkUpload(b *testing.B) {
	st, srv := newServer(b, filepath.Join(b.TempDir(), "push.db"), Config{})
	const devices = 64
	for i := range devices {
		st.Allow(context.Background(), fmt.Sprintf("B%03d", i), "", "")
	}
	var next atomic.Int64
	b.SetParallelism(max(1, devices/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1)
		d := &sim{base: srv.URL, sn: fmt.Sprintf("B%03d", i%devices), c: srv.Client()}
		for n := 0; pb.Next(); n++ {
			lines := punches(strconv.Itoa(int(i)), 1+n%28, n*100%3000, 100)
			if _, ack, err := d.upload("ATTLOG", "Stamp", strconv.Itoa(n), lines); err != nil || ack != 100 {
				b.Errorf("upload: ack %d err %v", ack, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "records/s")
}
