package pushusers

import (
	"context"
	"sync"

	"github.com/hrsync/hrsync/mapping"
)

// AccountAPI is a target that takes one employee per call: the HTTP and
// SCIM targets.
type AccountAPI interface {
	Employees(ctx context.Context) ([]mapping.Employee, error)
	// Create sends every non-empty field of e, and the password.
	Create(ctx context.Context, e mapping.Employee, password string) error
	// Update sets fields of the account e.ID to e's values.
	Update(ctx context.Context, e mapping.Employee, fields []string) error
}

// FieldLimiter is an optional ability: a target that can hold only some
// fields says which, so that the others are not compared (they would
// differ on every run).
type FieldLimiter interface {
	Fields() []string
}

// PerEmployee makes a Target of an AccountAPI, with up to concurrency
// calls in flight (the API's own client enforces its rate limit).
func PerEmployee(api AccountAPI, concurrency int) Target {
	if concurrency <= 0 {
		concurrency = 1
	}
	return &perEmployee{api: api, concurrency: concurrency}
}

type perEmployee struct {
	api         AccountAPI
	concurrency int
}

func (p *perEmployee) Employees(ctx context.Context) ([]mapping.Employee, error) {
	return p.api.Employees(ctx)
}

func (p *perEmployee) Fields() []string {
	if l, ok := p.api.(FieldLimiter); ok {
		return l.Fields()
	}
	return nil
}

func (p *perEmployee) Apply(ctx context.Context, changes []Change) ([]error, error) {
	errs := make([]error, len(changes))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(p.concurrency, len(changes)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := &changes[i]
				if c.Create {
					errs[i] = p.api.Create(ctx, c.Employee, c.Password.Reveal())
				} else {
					errs[i] = p.api.Update(ctx, c.Employee, c.Fields)
				}
			}
		}()
	}
	for i := range changes {
		select {
		case next <- i:
		case <-ctx.Done():
			close(next)
			wg.Wait()
			return errs, ctx.Err()
		}
	}
	close(next)
	wg.Wait()
	return errs, ctx.Err()
}
