package outbox

import (
	"context"
	"fmt"
)

// Count is how many events have the given status, without reading their
// payloads (retry's exit code asks how many failed ones still wait).
func Count(ctx context.Context, db Querier, status string) (int, error) {
	if !validStatus(status) {
		return 0, fmt.Errorf("outbox: count: unknown status %q (want pending, succeeded, failed or processed)", status)
	}
	var n int
	if err := bind(db).QueryRowContext(ctx, "SELECT COUNT(*) FROM {outbox_events} WHERE status = ?", status).Scan(&n); err != nil {
		return 0, fmt.Errorf("outbox: count: %w", err)
	}
	return n, nil
}
