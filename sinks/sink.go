// Package sinks declares what the engine needs of a place punches go: the
// HR database (sinks/sqlsink) or an HTTP API through the outbox. The
// contract is PunchSink; the abilities beside it are optional, and a sink
// has them or not from the moment it is opened (Discover).
//
// sinks/sinktest holds the one test suite every punch sink runs.
package sinks

import (
	"context"

	"github.com/hrsync/hrsync/mapping"
)

// Outcome is what became of one punch a sink was given.
type Outcome struct {
	Code   mapping.Code // mapping.Imported, mapping.Duplicate or mapping.Queued
	Reason string       // why, for anything but Imported
}

// PunchSink is a place punches are written to. An implementation:
//
//  1. stores each punch of a WritePunches call at most once, by its key
//     (the key its Identity gives, mapping.Identity.Of): a punch whose key is already stored is not
//     stored again, whether it was stored by this sink, an earlier run, or
//     another writer;
//  2. sets out[i] to the outcome of batch[i] for every i (len(out) ==
//     len(batch)): Imported when this call stored it, Duplicate with a
//     reason when it was already there, Queued with a reason when it is
//     safe on our side but the target has not taken it yet;
//  3. is durable before it returns nil: what the call reports Imported or
//     Queued survives a kill of the process right after;
//  4. on an error reports nothing, and leaves the batch either stored
//     whole or not at all, so that a re-run of the same batch ends with
//     every punch stored exactly once (reported Duplicate where the first
//     try got through);
//  5. is given no two punches with the same key in one call (the engine
//     settles repeats within a batch itself, by the sink's Identity);
//  6. is not used from two goroutines at once, except where an ability
//     below says otherwise.
type PunchSink interface {
	WritePunches(ctx context.Context, batch []mapping.Punch, out []Outcome) error
	Close() error
}

// Encoded is a batch made ready for a write by a BatchEncoder.
type Encoded interface {
	// Punches is the batch the encoding was made of.
	Punches() []mapping.Punch
}

// BatchEncoder is a sink that can make a batch ready for its write ahead
// of time (the text of a bulk load), so that the engine encodes the next
// batch on one core while the database loads this one. Encode may run on
// another goroutine while the sink, or a twin of it, writes an earlier
// batch; reuse is an earlier result whose buffers it may take over (nil
// for none). WriteEncoded is WritePunches of Encode's result, and takes
// an encoding made by this sink or by the sink it is a twin of.
type BatchEncoder interface {
	Encode(batch []mapping.Punch, reuse Encoded) Encoded
	WriteEncoded(ctx context.Context, e Encoded, out []Outcome) error
}

// Twinner is a sink that can give a second writer to the same target, on a
// connection of its own, so that two batches are written at once. Twin
// returns nil, and no error, where a second writer does not pay; nil and an
// error where the target will not give one (the caller then writes with one
// and may say why). A twin has the abilities of the sink it came from and is
// closed before it. The caller never gives a sink and its twin, at once, two
// batches that can hold the same key.
type Twinner interface {
	Twin(ctx context.Context) (PunchSink, error)
}

// Identifier is a sink whose punch identity is not the default one (the
// zero mapping.Identity): the HR table whose unique key includes the
// direction. The identity is fixed from the moment the sink opens.
type Identifier interface {
	Identity() mapping.Identity
}

// Abilities are the optional abilities of one sink, found once when it
// opens.
type Abilities struct {
	Encoder BatchEncoder // nil: the sink takes plain punches
	Twinner Twinner      // nil: one writer
	// Identity is which punches the sink holds to be one: everything that
	// compares punches on the way to it uses this rule.
	Identity mapping.Identity
}

// Discover finds the abilities of s.
func Discover(s PunchSink) Abilities {
	var a Abilities
	a.Encoder, _ = s.(BatchEncoder)
	a.Twinner, _ = s.(Twinner)
	if id, ok := s.(Identifier); ok {
		a.Identity = id.Identity()
	}
	return a
}
