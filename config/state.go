package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hrsync/hrsync/internal/sqldb"
)

// State is the state: section, where hrsync keeps what it remembers
// between runs (history, watermarks, pulled-file ledger, outbox, device
// positions, console accounts, resync changes).
//
//	state:
//	  url: postgres://hrsync@db:5432/hrsync   # or mysql://, mariadb://, sqlserver://; ${ENV} expands
//	  password: ${HRSYNC_STATE_PW}            # or password_file: (or user:/password in the url)
//	  schema: acme                            # PostgreSQL, SQL Server: the tables' schema (created)
//	  table_prefix: acme_                     # before every table's name
//
// Without url the state is the embedded SQLite file <data_dir>/state.db,
// locked by a file lock; with one, every fact lives in the database and the
// run lock is the server's (so a worker without a disk of its own, such as
// a Kubernetes CronJob, behaves as one that kept its data folder).
type State struct {
	URL          string `yaml:"url"`
	User         string `yaml:"user"`
	Password     Secret `yaml:"password"`
	PasswordFile string `yaml:"password_file"`
	Schema       string `yaml:"schema"`
	TablePrefix  string `yaml:"table_prefix"`
}

// StateSchemes are the URL schemes a state may live at.
var StateSchemes = []string{"postgres", "postgresql", "mysql", "mariadb", "sqlserver"}

// StateSettings is the state section, zero when the file has none (the
// embedded file).
func (c *Config) StateSettings() State {
	if c.State == nil {
		return State{}
	}
	return *c.State
}

// StatePath is the embedded state file's path.
func (c *Config) StatePath() string { return filepath.Join(c.DataDir, "state.db") }

func (c *Config) expandStateSecrets() error {
	s := c.State
	if s == nil {
		return nil
	}
	// The state's own credentials are needed even to read the history, so
	// they resolve for LoadForReading too.
	unused := c.secretsUnused
	c.secretsUnused = false
	defer func() { c.secretsUnused = unused }()
	var err error
	if s.URL, err = c.expandEnv("state.url", s.URL); err != nil {
		return err
	}
	if s.User, err = c.expandEnv("state.user", s.User); err != nil {
		return err
	}
	return c.secretFrom("state.password", &s.Password, s.PasswordFile)
}

func (c *Config) validateState() error {
	s := c.State
	if s == nil {
		return nil
	}
	if s.URL == "" {
		if s.Schema != "" || s.TablePrefix != "" || s.User != "" || s.Password != "" || s.PasswordFile != "" {
			return c.errAt("state", "give state.url (the database the state lives in) or leave the section out for the embedded file")
		}
		return nil
	}
	if err := sqldb.CheckScheme(s.URL); err != nil {
		return c.errAt("state.url", err.Error())
	}
	scheme, _, _ := strings.Cut(strings.ToLower(s.URL), "://")
	ok := false
	for _, v := range StateSchemes {
		ok = ok || v == scheme
	}
	if !ok {
		return c.errAt("state.url", fmt.Sprintf("%s: the state lives in %s (or leave url out for the embedded SQLite file)",
			sqldb.Redact(s.URL), strings.Join(StateSchemes, ", ")))
	}
	if s.Schema != "" {
		if d, _ := sqldb.DialectOf(s.URL); d != sqldb.Postgres && d != sqldb.SQLServer {
			return c.errAt("state.schema", "only PostgreSQL and SQL Server have schemas; on MySQL/MariaDB use table_prefix or another database")
		}
		if err := sqldb.CheckIdent(s.Schema); err != nil || strings.Contains(s.Schema, ".") {
			return c.errAt("state.schema", fmt.Sprintf("%q: use letters, digits and _", s.Schema))
		}
	}
	if p := s.TablePrefix; p != "" {
		if err := sqldb.CheckIdent(p + "x"); err != nil || strings.Contains(p, ".") || len(p) > 40 {
			return c.errAt("state.table_prefix", fmt.Sprintf("%q: use up to 40 letters, digits and _, starting with a letter", p))
		}
	}
	return nil
}
