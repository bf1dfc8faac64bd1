package state

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// User is one console account. PasswordHash is a bcrypt hash, never the
// password.
type User struct {
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"`
	Role         string    `json:"role"`
	Profile      string    `json:"profile,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// ErrNoUser is returned for a name the store does not hold.
var ErrNoUser = errors.New("no such user")

// PutUser adds the account or replaces its hash, role and profile.
func (s *Store) PutUser(ctx context.Context, u User) error {
	now := time.Now().UTC().Format(stamp)
	_, err := s.DB.ExecContext(ctx, s.DB.Upsert("console_users", []string{"name"},
		[]string{"name", "password_hash", "role", "profile", "created_at", "updated_at"},
		[]string{"password_hash", "role", "profile", "updated_at"}),
		u.Name, u.PasswordHash, u.Role, u.Profile, now, now)
	if err != nil {
		return fmt.Errorf("save user %s: %w", u.Name, err)
	}
	return nil
}

// GetUser returns one account, or ErrNoUser.
func (s *Store) GetUser(ctx context.Context, name string) (User, error) {
	us, err := s.queryUsers(ctx, `WHERE name=?`, name)
	if err != nil {
		return User{}, err
	}
	if len(us) == 0 {
		return User{}, fmt.Errorf("user %q: %w", name, ErrNoUser)
	}
	return us[0], nil
}

// Users lists the accounts by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	return s.queryUsers(ctx, `ORDER BY name`)
}

// RemoveUser deletes an account, or returns ErrNoUser.
func (s *Store) RemoveUser(ctx context.Context, name string) error {
	res, err := s.DB.ExecContext(ctx, `DELETE FROM {console_users} WHERE name=?`, name)
	if err != nil {
		return fmt.Errorf("remove user %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %q: %w", name, ErrNoUser)
	}
	return nil
}

func (s *Store) queryUsers(ctx context.Context, tail string, args ...any) ([]User, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT name,password_hash,role,profile,created_at,updated_at FROM {console_users} `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		var u User
		var created, updated string
		if err := rows.Scan(&u.Name, &u.PasswordHash, &u.Role, &u.Profile, &created, &updated); err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		u.CreatedAt, _ = time.Parse(stamp, created)
		u.UpdatedAt, _ = time.Parse(stamp, updated)
		out = append(out, u)
	}
	return out, rows.Err()
}

// RunFilter narrows a page of the history. Exit codes are the caller's
// (internal/exitcode's), given as numbers to match.
type RunFilter struct {
	Command string // "" any; matches "resync" and "resync --dry-run"
	// Exit lists the exit codes to keep; Running keeps runs not finished.
	Exit    []int
	Running bool
	From    time.Time // started at or after; zero: no bound
	To      time.Time // started before; zero: no bound
	Before  int64     // id below this; 0: from the newest
	Limit   int
}

func (f RunFilter) where() (string, []any) {
	w, args := "WHERE 1=1", []any{}
	if f.Command != "" {
		w, args = w+" AND (command=? OR command LIKE ?)", append(args, f.Command, f.Command+" %")
	}
	if len(f.Exit) > 0 || f.Running {
		cond := "exit_code IS NULL AND finished_at IS NULL"
		if !f.Running {
			cond = "1=0"
		}
		for _, c := range f.Exit {
			cond, args = cond+" OR exit_code=?", append(args, c)
		}
		w += " AND (" + cond + ")"
	}
	if !f.From.IsZero() {
		w, args = w+" AND started_at>=?", append(args, f.From.UTC().Format(stamp))
	}
	if !f.To.IsZero() {
		w, args = w+" AND started_at<?", append(args, f.To.UTC().Format(stamp))
	}
	return w, args
}

// PageRuns lists runs newest first by the filter, keyset paged by id.
func (s *Store) PageRuns(ctx context.Context, f RunFilter) ([]Run, error) {
	w, args := f.where()
	if f.Before > 0 {
		w, args = w+" AND id<?", append(args, f.Before)
	}
	return s.queryRunsArgs(ctx, w+" ORDER BY id DESC"+s.DB.Limit(), append(args, f.Limit)...)
}

// CountRuns counts the runs the filter keeps (Before and Limit aside).
func (s *Store) CountRuns(ctx context.Context, f RunFilter) (int64, error) {
	w, args := f.where()
	var n int64
	err := s.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM {runs} `+w, args...).Scan(&n)
	return n, err
}

// Commands lists the distinct commands in the history, for a filter.
func (s *Store) Commands(ctx context.Context) ([]string, error) {
	rows, err := s.DB.QueryContext(ctx, `SELECT DISTINCT command FROM {runs} ORDER BY command`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
