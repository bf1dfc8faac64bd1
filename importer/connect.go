package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/hrsync/hrsync/config"
	"github.com/hrsync/hrsync/internal/httpx"
	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/sources"
	"github.com/hrsync/hrsync/sources/fetch"
	"github.com/hrsync/hrsync/sources/zk"
)

// Check is what `config check --connect` found when it opened one source or
// target: what it is, what was found, or why it could not be opened.
type Check struct {
	What   string `json:"what"`
	Found  string `json:"found,omitempty"`
	Err    string `json:"error,omitempty"`
	failed bool
}

// Failed reports whether the source or target could not be opened.
func (c Check) Failed() bool { return c.failed }

// Checked is the check of what: found, or the error that stopped it.
func Checked(what, found string, err error) Check {
	if err != nil {
		return Check{What: what, Err: err.Error(), failed: true}
	}
	return Check{What: what, Found: found}
}

// Connect opens every source and the HR target of cfg, as a run would
// (files exist, databases answer and have their tables, credentials work,
// SFTP host keys match), and writes nothing: it lists, probes and reads the
// directory, never more.
func Connect(ctx context.Context, cfg *config.Config) []Check {
	var out []Check
	for _, name := range cfg.SourceNames() {
		out = append(out, connectSource(ctx, cfg, cfg.Sources[name]))
	}
	return append(out, connectHR(ctx, cfg)...)
}

func connectSource(ctx context.Context, cfg *config.Config, src *config.Source) Check {
	what := "source " + src.Name
	switch {
	case src.HasDevices():
		return connectDevices(ctx, what, src)
	case src.Push:
		return connectPush(ctx, cfg, what)
	case src.Pull != nil:
		loc, err := cfg.PullLocation(src)
		if err != nil {
			return Checked(what, "", err)
		}
		dir, _ := fetch.Folder(loc)
		remote, err := fetch.Dial(ctx, loc)
		if err != nil {
			return Checked(what, "", err)
		}
		defer remote.Close()
		files, err := remote.List(ctx, dir)
		return Checked(what, fmt.Sprintf("%s answers; %d files in %s", sqldb.Redact(loc.URL), len(files), dir), err)
	case src.IsDatabase():
		s, err := openDatabaseSource(ctx, src)
		if err != nil {
			return Checked(what, "", err)
		}
		defer s.Close()
		return Checked(what, "the database answers and "+s.Where()+" can be read", nil)
	default:
		files, err := sources.Expand(src.Path)
		if err == nil && len(files) == 0 {
			return Checked(what, "no file matches "+src.Path+" yet", nil)
		}
		return Checked(what, fmt.Sprintf("%d files match %s", len(files), src.Path), err)
	}
}

func connectHR(ctx context.Context, cfg *config.Config) []Check {
	what := "hr " + sqldb.Redact(cfg.HR.URL)
	var out []Check
	var lister employeeLister
	switch {
	case cfg.HRIsHTTP():
		out = append(out, connectHTTP(ctx, cfg))
	case notCreatedYet(cfg):
		out = append(out, Checked(what, "not there yet: the first run creates it", nil))
	default:
		hr, err := OpenHR(ctx, cfg, false)
		out = append(out, Checked(what, "the database answers and has the HR tables", err))
		if err != nil {
			return out
		}
		defer hr.Close()
		lister = hr
	}
	if lister == nil && cfg.HR.Employees.File == "" {
		return out // the directory is in the database, which is not there
	}
	dir, err := LoadDirectory(ctx, cfg, lister)
	found := ""
	if err == nil {
		found = fmt.Sprintf("%d employees", len(dir.All))
	}
	what = "employee directory"
	if f := cfg.HR.Employees.File; f != "" {
		what += " " + filepath.Base(f)
	}
	return append(out, Checked(what, found, err))
}

// notCreatedYet reports an embedded HR database whose file the first run
// will create (the quickstart on a fresh machine).
func notCreatedYet(cfg *config.Config) bool {
	file, ok := sqliteFile(cfg.HR.URL)
	if !ok || (cfg.HR.CreateTables != nil && !*cfg.HR.CreateTables) {
		return false
	}
	_, err := os.Stat(file)
	return errors.Is(err, fs.ErrNotExist)
}

// connectHTTP asks the HR API's URL for its headers: the answer proves the
// address, the TLS certificate and the CA; whether the credentials are
// accepted shows only when a batch is sent, which --connect never does.
func connectHTTP(ctx context.Context, cfg *config.Config) Check {
	what := "hr " + sqldb.Redact(cfg.HR.URL)
	h := cfg.HR.HTTP
	if h == nil {
		h = &config.HRHTTP{}
	}
	client, err := httpx.New(cfg.HTTPClientConfig(&h.HTTPClient, "", nil))
	if err != nil {
		return Checked(what, "", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, cfg.HR.URL, nil)
	if err != nil {
		return Checked(what, "", err)
	}
	resp, err := client.Do(ctx, req)
	if err != nil {
		return Checked(what, "", err)
	}
	resp.Body.Close()
	return Checked(what, fmt.Sprintf("answers over TLS (HTTP %d to HEAD); the credentials are tried by the first send", resp.StatusCode), nil)
}

// connectDevices opens a session with each of the source's devices and
// reads its serial number and record count; nothing on them changes.
func connectDevices(ctx context.Context, what string, src *config.Source) Check {
	var found []string
	var errs []error
	for _, dc := range src.DeviceConns() {
		c, err := DialDevice(ctx, dc)
		if err == nil {
			var serial string
			var sz zk.Sizes
			if serial, err = c.Option(ctx, "~SerialNumber"); err == nil {
				sz, err = c.Sizes(ctx)
			}
			c.Close()
			if err == nil {
				found = append(found, fmt.Sprintf("%s answers (serial %s, %d records)", dc.Name, serial, sz.Records))
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("device %s: %w", dc.Name, err))
		}
	}
	return Checked(what, strings.Join(found, "; "), errors.Join(errs...))
}
