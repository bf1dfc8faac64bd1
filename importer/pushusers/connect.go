package pushusers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources"
)

// errEnough stops a walk once the first row has been read.
var errEnough = errors.New("enough")

// Connect opens the push_users source and target as a run would and reads
// the first source row and the target's accounts, changing nothing (see
// importer.Connect).
func Connect(ctx context.Context, cfg *config.Config, log *slog.Logger) []importer.Check {
	if cfg.PushUsers == nil {
		return nil
	}
	rows := 0
	err := cfg.UsersSourceTable().Each(ctx, func(where string, r sources.FileReader) error {
		if _, err := r.Next(); err == nil {
			rows++
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	found := "answers, with no rows yet"
	if rows > 0 {
		found = "answers and has rows"
	}
	out := []importer.Check{importer.Checked("push_users.source", found, err)}

	target, closeTarget, err := OpenTarget(ctx, cfg, false, log)
	if err == nil {
		defer closeTarget()
		var accounts []mapping.Employee
		if accounts, err = target.Employees(ctx); err == nil {
			found = fmt.Sprintf("%s answers; %d accounts", cfg.PushUsers.Target.Kind, len(accounts))
		}
	}
	return append(out, importer.Checked("push_users.target", found, err))
}
