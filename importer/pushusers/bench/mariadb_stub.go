package main

import (
	"context"
	"errors"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/importer/pushusers"
)

func mariadbTarget(ctx context.Context, dir, dsn string, n int) (*config.Config, pushusers.Target, func(), error) {
	return nil, nil, nil, errors.New("the MariaDB target needs the HR database sink")
}
