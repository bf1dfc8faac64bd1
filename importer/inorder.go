package importer

import (
	"context"

	"github.com/hrsync/hrsync/mapping"
)

// writing is a batch being written by writers[w].
type writing struct {
	b    *batch
	w    int
	span span
	done chan error
}

// writeInOrder is the pipeline's write stage. It writes prepared batches
// with up to one batch in flight per writer (a sink and its twins, each on
// its own connection), and hands them on in input order: cursors saved,
// then to the report. A batch's cursor is saved only once it and every
// batch before it are committed, so a crash never skips rows; a later batch
// committed before the crash is found stored on the re-run.
//
// Two batches are in flight together only when they cannot hold the same
// punch: otherwise which of the two is stored would depend on timing, and a
// load could wait on the other's uncommitted row. A batch that could hold
// a punch of one in flight waits until that one, and every batch before
// it, is done. Punch exports come in time order, so batches meet at most in
// one second, and there the keys are compared.
func writeInOrder(ctx context.Context, writers []writer, prepared <-chan *batch, written chan<- *batch, marks watermarks, afterCommit func() error) error {
	defer close(written)
	var queue []*writing // oldest first
	defer func() {
		// After an error no write may still be running when the sinks close.
		for _, f := range queue {
			<-f.done
		}
	}()
	finishOldest := func() error {
		f := queue[0]
		queue = queue[1:]
		if err := <-f.done; err != nil {
			return err
		}
		if writers[f.w].sink != nil && marks != nil {
			if err := saveCursors(ctx, marks, f.b.items, afterCommit); err != nil {
				return err
			}
		}
		select {
		case written <- f.b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for b := range prepared {
		var sp span
		if len(writers) > 1 {
			sp = spanOf(b.punches)
			for i := len(queue) - 1; i >= 0; i-- {
				if mayShare(queue[i].span, sp, queue[i].b.punches, b.punches) {
					for range i + 1 {
						if err := finishOldest(); err != nil {
							return err
						}
					}
					break
				}
			}
		}
		f := &writing{b: b, w: freeWriter(queue, len(writers)), span: sp, done: make(chan error, 1)}
		go func() {
			f.done <- noPanic("writing a batch", func() error { return writeBatch(ctx, writers[f.w], f.b) })
		}()
		queue = append(queue, f)
		// With every writer busy, wait for the oldest before taking the
		// next batch: a batch held here is live heap for nothing.
		if len(queue) == len(writers) {
			if err := finishOldest(); err != nil {
				return err
			}
		}
	}
	for len(queue) > 0 {
		if err := finishOldest(); err != nil {
			return err
		}
	}
	return nil
}

// freeWriter is the first of n writers that no batch in queue is using.
func freeWriter(queue []*writing, n int) int {
	for w := range n {
		used := false
		for _, f := range queue {
			used = used || f.w == w
		}
		if !used {
			return w
		}
	}
	panic("importer: no free writer") // writeInOrder finishes one first
}

// span is the seconds a batch's punches fall in, first to last; empty when
// it has none.
type span struct {
	first, last int64
	empty       bool
}

func spanOf(punches []mapping.Punch) span {
	if len(punches) == 0 {
		return span{empty: true}
	}
	sp := span{first: punches[0].Time.Unix(), last: punches[0].Time.Unix()}
	for i := range punches {
		t := punches[i].Time.Unix()
		sp.first, sp.last = min(sp.first, t), max(sp.last, t)
	}
	return sp
}

// mayShare reports whether batches a and b (with spans sa and sb) could
// hold the same punch: their spans overlap in more than one second, or in
// one second in which both have a punch with the same key.
func mayShare(sa, sb span, a, b []mapping.Punch) bool {
	if sa.empty || sb.empty {
		return false
	}
	from, to := max(sa.first, sb.first), min(sa.last, sb.last)
	switch {
	case from > to:
		return false
	case from < to:
		return true
	}
	// The key without the direction is the coarser one: two punches that
	// differ in it alone may share a row under some identity, so holding
	// such batches apart is safe under every identity.
	var coarse mapping.Identity
	keys := map[mapping.Key]bool{}
	for i := range a {
		if a[i].Time.Unix() == from {
			keys[coarse.Of(&a[i])] = true
		}
	}
	for i := range b {
		if b[i].Time.Unix() == from && keys[coarse.Of(&b[i])] {
			return true
		}
	}
	return false
}
