// Package exitcode is hrsync's one table of process exit codes (the README
// documents them) and the typed errors they are read from. Engines and
// commands return errors; For turns an error into the code the process
// exits with and the run history records.
package exitcode

import (
	"errors"
	"fmt"
)

// Code is a process exit code.
type Code int

// The exit codes. Schedulers read them, so they never change meaning.
const (
	OK       Code = 0 // every row placed
	Failed   Code = 1 // the run failed; safe to re-run
	Usage    Code = 2 // usage or configuration error: nothing ran
	Rejected Code = 3 // the run completed but some rows were rejected
	Queued   Code = 4 // the run completed; some rows wait in the outbox for the HR system
)

// For is the exit code an error stands for: OK for nil, the code of the
// first error in the chain that carries one, Failed for any other error.
func For(err error) Code {
	if err == nil {
		return OK
	}
	var c coder
	if errors.As(err, &c) {
		return c.ExitCode()
	}
	return Failed
}

// coder is an error that knows its exit code.
type coder interface{ ExitCode() Code }

// UsageError is a command line or config that is wrong: nothing ran.
type UsageError struct{ Err error }

func (e *UsageError) Error() string  { return e.Err.Error() }
func (e *UsageError) Unwrap() error  { return e.Err }
func (e *UsageError) ExitCode() Code { return Usage }

// AsUsage marks err as a usage error; nil stays nil.
func AsUsage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{Err: err}
}

// Usagef is a usage error with a message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// IncompleteError is a run that completed without placing everything: some
// rows were rejected, some wait in the outbox, some files could not be
// read. Its summary and report say what; the error carries the outcome,
// and callers print nothing more for it.
type IncompleteError struct {
	Code Code // Failed, Rejected or Queued
	Msg  string
}

func (e *IncompleteError) Error() string  { return e.Msg }
func (e *IncompleteError) ExitCode() Code { return e.Code }

// Incomplete is the outcome of a run that completed without placing
// everything, with the code that says how.
func Incomplete(code Code, format string, args ...any) error {
	return &IncompleteError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// IsIncomplete reports whether err is a completed run's outcome rather than
// a failure: the output has explained it already.
func IsIncomplete(err error) bool {
	var e *IncompleteError
	return errors.As(err, &e)
}
