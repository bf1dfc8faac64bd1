package pushusers

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
)

// openQuery runs push_users.source.query and streams its rows, the
// query's column names as the header.
func openQuery(ctx context.Context, cfg *config.Config) (rowReader, error) {
	s := &cfg.PushUsers.Source
	url := s.URL
	if p, ok := strings.CutPrefix(url, "sqlite://"); ok && p != ":memory:" {
		url = "sqlite://" + cfg.Resolve(p)
	}
	db, err := sqldb.Open(ctx, url, sqldb.Credentials{User: s.User, Password: string(s.Password)})
	if err != nil {
		return nil, fmt.Errorf("push_users.source.url: %w", err)
	}
	rows, err := db.QueryxContext(ctx, s.Query)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("push_users.source.query in %s: %w", db.URL, err)
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		db.Close()
		return nil, fmt.Errorf("push_users.source.query in %s: %w", db.URL, err)
	}
	return &queryRows{db: db, rows: rows, header: cols, where: db.URL}, nil
}

type queryRows struct {
	db     *sqldb.DB
	rows   *sqlx.Rows
	header []string
	where  string
	n      int
}

func (q *queryRows) Next() (mapping.Row, error) {
	if !q.rows.Next() {
		if err := q.rows.Err(); err != nil {
			return mapping.Row{}, fmt.Errorf("push_users.source.query in %s, row %d: %w", q.where, q.n+1, err)
		}
		return mapping.Row{}, io.EOF
	}
	q.n++
	vals, err := q.rows.SliceScan()
	row := mapping.Row{Origin: mapping.Origin{Source: "push_users", File: q.where, Line: q.n}, Header: q.header}
	if err != nil {
		row.Err = fmt.Errorf("row %d: %w", q.n, err)
		return row, nil
	}
	row.Fields = make([]string, len(vals))
	for i, v := range vals {
		row.Fields[i] = cellText(v)
	}
	return row, nil
}

func (q *queryRows) Close() error {
	q.rows.Close()
	return q.db.Close()
}

// cellText writes a database value as text: dates as YYYY-MM-DD when they
// have no time of day.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []byte:
		return string(x)
	case string:
		return x
	case interface{ Format(string) string }:
		s := x.Format("2006-01-02 15:04:05")
		return strings.TrimSuffix(s, " 00:00:00")
	}
	return fmt.Sprint(v)
}
