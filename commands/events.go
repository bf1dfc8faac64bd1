package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/internal/outbox"
)

// eventView is an outbox event as the events commands show it.
type eventView struct {
	ID             int64      `json:"id"`
	Target         string     `json:"target"`
	Kind           string     `json:"kind"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttempt    *time.Time `json:"next_attempt,omitempty"`
	LastStatus     int        `json:"last_status,omitempty"`
	LastResponse   string     `json:"last_response,omitempty"`
	Note           string     `json:"note,omitempty"`
	RunID          int64      `json:"run_id"`
	IdempotencyKey string     `json:"idempotency_key"`
	ContentType    string     `json:"content_type"`
	PayloadBytes   int        `json:"payload_bytes"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Payload is the body as text (unzipped when it went zipped); show only.
	Payload string `json:"payload,omitempty"`
}

func viewOf(e outbox.Event) eventView {
	v := eventView{ID: e.ID, Target: e.Target, Kind: e.Kind, Status: e.Status, Attempts: e.Attempts,
		LastStatus: e.LastStatus, LastResponse: e.LastResponse, Note: e.Note, RunID: e.RunID,
		IdempotencyKey: e.IdempotencyKey, ContentType: e.ContentType, PayloadBytes: len(e.Payload),
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
	if !e.NextAttempt.IsZero() {
		t := e.NextAttempt
		v.NextAttempt = &t
	}
	return v
}

// statusText says what will happen to an event next.
func statusText(e eventView) string {
	switch {
	case e.Status == outbox.Failed && e.NextAttempt == nil:
		return "failed (needs a person)"
	case e.NextAttempt != nil && e.Status == outbox.Failed:
		return "failed, retry " + e.NextAttempt.Local().Format("01-02 15:04")
	}
	return e.Status
}

// eventStatuses are the values of events list --status.
var eventStatuses = []string{outbox.Pending, outbox.Succeeded, outbox.Failed, outbox.Processed}

func newEventsCmd(app *App) *cobra.Command {
	cmd := &cobra.Command{Use: "events", Short: "Batches sent (or waiting to be sent) to HTTP targets: the outbox",
		Example: `  hrsync events list --status failed
  hrsync events show 812`}
	cmd.AddCommand(newEventsListCmd(app), newEventsShowCmd(app))
	return cmd
}

type eventsListOptions struct {
	Status string // "": every status
	Limit  int
	Output string
}

func newEventsListCmd(app *App) *cobra.Command {
	var o eventsListOptions
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List outbox events, newest first",
		Example: `  hrsync events list --status failed
  hrsync events list --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEventsList(cmd.Context(), app, o)
		},
	}
	cmd.Flags().StringVar(&o.Status, "status", "", "only events with this status: pending, succeeded, failed or processed")
	_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(eventStatuses, cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().IntVar(&o.Limit, "limit", 100, "show at most this many events (0: all)")
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

func runEventsList(ctx context.Context, app *App, o eventsListOptions) error {
	switch {
	case o.Status == "", slices.Contains(eventStatuses, o.Status):
	default:
		return exitcode.AsUsage(fmt.Errorf("--status %q: want pending, succeeded, failed or processed", o.Status))
	}
	sess, err := app.readSession(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	events, err := outbox.List(ctx, sess.State.DB, o.Status, o.Limit)
	if err != nil {
		return err // the state database failed: the run failed (exit 1), not a usage error
	}
	views := make([]eventView, len(events))
	for i, e := range events {
		views[i] = viewOf(e)
	}
	if o.Output == "json" {
		return app.printJSON(views)
	}
	tw := app.table("ID", "STATUS", "TARGET", "RUN", "TRIES", "LAST REPLY", "UPDATED")
	for _, v := range views {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\n", v.ID, statusText(v), v.Target, v.RunID, v.Attempts,
			oneLine(replyText(v), 60), v.UpdatedAt.Local().Format("2006-01-02 15:04:05"))
	}
	return tw.Flush()
}

type eventsShowOptions struct {
	ID     string // as typed; checked by runEventsShow
	Output string
}

func newEventsShowCmd(app *App) *cobra.Command {
	var o eventsShowOptions
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show one event: its status, the payload sent and the target's last reply",
		Example: `  hrsync events show 812
  hrsync events show 812 --output json`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: app.completeEventIDs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID = args[0]
			return runEventsShow(cmd.Context(), app, o)
		},
	}
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

func runEventsShow(ctx context.Context, app *App, o eventsShowOptions) error {
	ids, err := parseIDs([]string{o.ID})
	if err != nil {
		return err
	}
	sess, err := app.readSession(ctx)
	if err != nil {
		return err
	}
	defer sess.Close()
	e, err := outbox.Get(ctx, sess.State.DB, ids[0])
	if err != nil {
		return err
	}
	v := viewOf(e)
	v.Payload = e.PayloadText()
	if o.Output == "json" {
		return app.printJSON(v)
	}
	tw := app.table("event", strconv.FormatInt(v.ID, 10))
	fmt.Fprintf(tw, "status\t%s\n", statusText(v))
	fmt.Fprintf(tw, "target\t%s\n", v.Target)
	fmt.Fprintf(tw, "kind\t%s\n", v.Kind)
	fmt.Fprintf(tw, "run\t%d\n", v.RunID)
	fmt.Fprintf(tw, "attempts\t%d\n", v.Attempts)
	fmt.Fprintf(tw, "idempotency key\t%s\n", v.IdempotencyKey)
	fmt.Fprintf(tw, "created\t%s\n", v.CreatedAt.Local().Format(time.RFC3339))
	fmt.Fprintf(tw, "updated\t%s\n", v.UpdatedAt.Local().Format(time.RFC3339))
	if v.Note != "" {
		fmt.Fprintf(tw, "note\t%s\n", v.Note)
	}
	fmt.Fprintf(tw, "payload\t%s, %d bytes\n", v.ContentType, v.PayloadBytes)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(app.Out, "\n--- last reply\n%s\n\n--- payload\n%s\n", replyText(v), v.Payload)
	return nil
}

func replyText(v eventView) string {
	if v.LastStatus != 0 {
		return fmt.Sprintf("HTTP %d %s", v.LastStatus, v.LastResponse)
	}
	return v.LastResponse
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func parseIDs(args []string) ([]int64, error) {
	ids := make([]int64, len(args))
	for i, a := range args {
		id, err := strconv.ParseInt(a, 10, 64)
		if err != nil || id <= 0 {
			return nil, exitcode.AsUsage(fmt.Errorf("event id %q is not a number", a))
		}
		ids[i] = id
	}
	return ids, nil
}

type retryOptions struct {
	IDs    []string // as typed; none: every event that is due
	Output string
	Args   string // the command as typed, for the run history
}

func newRetryCmd(app *App) *cobra.Command {
	var o retryOptions
	cmd := &cobra.Command{
		Use:   "retry [ID...]",
		Short: "Send the outbox events that are due now, or the named events (failed ones included) at once",
		Long: `Without ids, retry sends every event that is due (every run of hrsync does this too).
With ids, those events are sent now, failed ones included, with a fresh retry schedule.
Exit code 0 when no failed event is left, 4 while failed events wait in the outbox (sent now and
refused again, or not due yet).`,
		Example: `  hrsync retry
  hrsync retry 812 813`,
		ValidArgsFunction: app.completeEventIDs(outbox.Failed),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.IDs, o.Args = args, commandLine(cmd)
			return runRetry(cmd.Context(), app, o)
		},
	}
	addTableOutputFlag(cmd, &o.Output)
	return cmd
}

func runRetry(ctx context.Context, app *App, o retryOptions) error {
	ids, err := parseIDs(o.IDs)
	if err != nil {
		return err
	}
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	res, err := importer.Retry(ctx, cfg, importer.RunSpec{Args: o.Args, Log: app.Log}, ids)
	if err != nil {
		return err
	}
	for _, s := range res.Skipped {
		app.say("%s: nothing to send", s)
	}
	sum, waiting, outcome := res.Summary, res.StillFailed, res.Outcome()
	if o.Output == "json" {
		out := struct {
			outbox.Summary
			StillFailed int           `json:"still_failed"`
			ExitCode    exitcode.Code `json:"exit_code"`
		}{sum, waiting, exitcode.For(outcome)}
		return cmp.Or(app.printJSON(out), outcome)
	}
	app.say("sent %d: %d succeeded, %d will be retried, %d failed for good (hrsync events list --status failed)",
		sum.Due, sum.Succeeded, sum.Retrying, sum.GaveUp)
	if waiting > 0 {
		app.say("%d failed events wait in the outbox for a later try or a person: hrsync events list --status failed", waiting)
	}
	return outcome
}

type markProcessedOptions struct {
	ID   string // as typed; checked by runMarkProcessed
	Note string
	Args string // the command as typed, for the run history
}

func newMarkProcessedCmd(app *App) *cobra.Command {
	var o markProcessedOptions
	cmd := &cobra.Command{
		Use:               "mark-processed ID",
		Short:             "Close a failed or pending event by hand, saying what was done instead",
		Example:           `  hrsync mark-processed 812 --note "entered by hand in the HR system, ticket 4411"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: app.completeEventIDs(outbox.Failed, outbox.Pending),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ID, o.Args = args[0], commandLine(cmd)
			return runMarkProcessed(cmd.Context(), app, o)
		},
	}
	cmd.Flags().StringVar(&o.Note, "note", "", "what was done with the batch (required)")
	return cmd
}

func runMarkProcessed(ctx context.Context, app *App, o markProcessedOptions) error {
	ids, err := parseIDs([]string{o.ID})
	if err != nil {
		return err
	}
	if strings.TrimSpace(o.Note) == "" {
		return exitcode.AsUsage(errors.New("--note is required: say what was done with the batch"))
	}
	cfg, err := app.loadConfig()
	if err != nil {
		return err
	}
	if err := importer.MarkProcessed(ctx, cfg, importer.RunSpec{Args: o.Args, Log: app.Log}, ids[0], o.Note); err != nil {
		return err
	}
	app.say("event %d marked processed", ids[0])
	return nil
}
