package pushusers

import (
	"context"
	"errors"

	"github.com/hrsync/hrsync/config"
)

// openQuery runs the source query. It is filled in once the database layer lands.
func openQuery(ctx context.Context, cfg *config.Config) (rowReader, error) {
	return nil, errors.New("push_users.source.url: database sources are not available in this build")
}
