package importer

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sinks/sqlsink"
)

// A dry run (import --dry-run, map-check) says `duplicate` where the import
// would: it reads the punches the HR table already holds in each batch's
// time range, as the sink's write does before it inserts, but only reads.

// storedReader reads the punches an HR table holds for some employees in
// [from, to): sqlsink.Sink's ReadPunches, the read resync uses too.
type storedReader interface {
	ReadPunches(ctx context.Context, employeeIDs []string, from, to time.Time, fn func(sqlsink.StoredPunch) error) error
	Identity() mapping.Identity
}

// identityOf is the punch identity a run compares punches with: its sink's;
// for a dry run, that of the HR table it reads or, when there is none yet,
// of the table an import would create.
func identityOf(cfg *config.Config, w writer) mapping.Identity {
	switch {
	case w.sink != nil:
		return w.Identity
	case w.stored != nil:
		return w.stored.Identity()
	case cfg.HRIsHTTP():
		return mapping.Identity{}
	}
	_, punches := cfg.HRTables()
	return sqlsink.NewTableIdentity(cfg.HR.URL, punches)
}

// alreadyStored is the outcome of a dry run's punch the HR table holds,
// in the words the sink uses for it.
const alreadyStoredReason = "already in the HR database"

// openStoredReader opens the HR database for a dry run's read of stored
// punches: read-only, creating nothing (an SQLite file is opened with
// mode=ro, so a missing one stays missing). It fails when the database or
// its punch table does not exist; the caller then reports every punch as
// would_import and says why.
func openStoredReader(ctx context.Context, cfg *config.Config) (*sqlsink.Sink, error) {
	c := *cfg
	if file, ok := sqliteFile(cfg.HR.URL); ok {
		if _, err := os.Stat(file); err != nil {
			return nil, fmt.Errorf("the HR database %s does not exist yet", file)
		}
		c.HR.URL = readOnlyURL(cfg.HR.URL)
	}
	return openHR(ctx, &c, false, false)
}

// sqliteFile is the file an sqlite:// URL opens, as the driver reads it
// (sqlite:///C:/hr.db is C:/hr.db); ok is false for other databases.
func sqliteFile(url string) (file string, ok bool) {
	if !strings.HasPrefix(url, "sqlite://") {
		return "", false
	}
	dsn, err := sqldb.SQLiteDSN(url)
	if err != nil {
		return "", false
	}
	file, _, _ = strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return file, true
}

// readOnlyURL opens an sqlite:// URL read-only: mode=ro, and the journal
// mode only asked (hrsync's own pragma would switch it to WAL, a write).
// Other databases are read with SELECTs alone.
func readOnlyURL(raw string) string {
	path, query, _ := strings.Cut(raw, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return raw // the open reports the bad query
	}
	q.Set("mode", "ro")
	journal := false
	for _, p := range q["_pragma"] {
		name, _, _ := strings.Cut(p, "(")
		journal = journal || strings.EqualFold(strings.TrimSpace(name), "journal_mode")
	}
	if !journal {
		q.Add("_pragma", "journal_mode")
	}
	return path + "?" + q.Encode()
}

// markStored sets stored[j] for each punch the HR table already holds,
// matching keys exactly or, as the sink's write does for tables with case-
// and trailing-space-insensitive collations, folded.
func markStored(ctx context.Context, r storedReader, punches []mapping.Punch, stored []bool) error {
	if len(punches) == 0 {
		return nil
	}
	first, last := mapping.TimeSpan(punches)
	seen := map[string]bool{}
	var ids []string
	for i := range punches {
		p := &punches[i]
		if !seen[p.EmployeeID] {
			seen[p.EmployeeID] = true
			ids = append(ids, p.EmployeeID)
		}
	}
	id := r.Identity()
	exact, folded := map[mapping.Key]bool{}, map[mapping.Key]bool{}
	err := r.ReadPunches(ctx, ids, first.Truncate(time.Second), last.Truncate(time.Second).Add(time.Second), func(sp sqlsink.StoredPunch) error {
		k := sp.Key(id)
		exact[k] = true
		folded[k.Folded()] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the punches the HR database holds: %w", err)
	}
	for i := range punches {
		k := id.Of(&punches[i])
		stored[i] = exact[k] || folded[k.Folded()]
	}
	return nil
}
