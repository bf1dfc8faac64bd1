package config

import (
	"time"

	"github.com/hrsync/hrsync/internal/sqldb"
	"github.com/hrsync/hrsync/sources"
)

// FileFormat is the format for the file readers; hints are the column
// names that find a spreadsheet's header row.
func (f Format) FileFormat(hints []string) sources.FileFormat {
	return sources.FileFormat{Type: f.Type, Delimiter: f.Delimiter, Header: f.Header, Encoding: f.Encoding,
		FallbackEncoding: f.FallbackEncoding, Sheet: f.Sheet, SheetIndex: f.SheetIndex, HeaderRow: f.HeaderRow,
		HeaderHints: hints, MaxLineBytes: f.MaxLineBytes}
}

// EmployeesFile is hr.employees.file as a table to read. A spreadsheet's
// header row is the one holding the id column.
func (c *Config) EmployeesFile() *sources.Table {
	e := &c.HR.Employees
	id := "id"
	if col, ok := e.Columns["id"]; ok {
		id = col
	}
	return &sources.Table{Key: "hr.employees", PathKey: "hr.employees.file", Source: "employees",
		Path: e.File, Format: e.Format.FileFormat([]string{id})}
}

// UsersSourceTable is push_users.source as a table to read: its files or
// its query. A spreadsheet's header row holds every mapped column.
func (c *Config) UsersSourceTable() *sources.Table {
	s := &c.PushUsers.Source
	hints := make([]string, 0, len(s.Columns)+len(s.Extra))
	for _, col := range s.Columns {
		hints = append(hints, col)
	}
	for _, col := range s.Extra {
		hints = append(hints, col)
	}
	return &sources.Table{Key: "push_users.source", PathKey: "push_users.source.path", Source: "push_users",
		Path: s.Path, Format: s.Format.FileFormat(hints),
		URL: s.URL, Credentials: sqldb.Credentials{User: s.User, Password: string(s.Password)}, Query: s.Query,
		Deadline: sqldb.Deadline{Limit: time.Duration(c.HR.StatementTimeout), Key: "hr.statement_timeout"}}
}
