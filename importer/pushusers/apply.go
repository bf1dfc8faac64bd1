package pushusers

import (
	"context"
	"fmt"
	"strings"
)

// Apply makes the plan's changes in the target and records each
// decision's fate. A plan that tripped the brake is never applied. The
// returned error is for a target that failed as a whole; single refusals
// turn their decision into failed with the target's reason.
func Apply(ctx context.Context, p *Plan, t Target) error {
	if p.Brake != "" {
		return fmt.Errorf("%s", p.Brake)
	}
	var (
		changes []Change
		owners  []*Decision
	)
	for _, d := range p.Decisions {
		if d.change != nil {
			changes = append(changes, *d.change)
			owners = append(owners, d)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	errs, err := t.Apply(ctx, changes)
	if err != nil {
		return scrub(err, changes)
	}
	for i, d := range owners {
		var e error
		if i < len(errs) {
			e = errs[i]
		}
		if e != nil {
			d.Reason = strings.TrimPrefix(d.Reason+"; planned "+string(d.Outcome)+" failed: "+scrub(e, changes[i:i+1]).Error(), "; ")
			d.Outcome = Failed
			continue
		}
		d.Applied = true
	}
	return nil
}

// scrub removes passwords from an error: a target may echo the request
// body back in its reply.
func scrub(err error, changes []Change) error {
	msg := err.Error()
	clean := msg
	for _, c := range changes {
		if pw := c.Password.Reveal(); pw != "" {
			clean = strings.ReplaceAll(clean, pw, "******")
		}
	}
	if clean == msg {
		return err
	}
	return &scrubbedError{msg: clean, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }

// Unwrap keeps errors.Is working; the wrapped error's text is never printed.
func (e *scrubbedError) Unwrap() error { return e.err }
