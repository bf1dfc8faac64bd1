package sources

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hrsync/hrsync/mapping"
	"github.com/hrsync/hrsync/sources/textfile"
)

// FileFormat says how to read one export file.
type FileFormat struct {
	Type             string // auto, csv, txt, xlsx, xls
	Delimiter        string
	Header           *bool
	Encoding         string
	FallbackEncoding string
	Sheet            string
	SheetIndex       int
	HeaderRow        int
	HeaderHints      []string // mapped column names, to find a spreadsheet's header row
	MaxLineBytes     int      // text files: the longest line (0: textfile.DefaultMaxLineBytes)
}

// FileReader streams the rows of one file.
type FileReader interface {
	Next() (mapping.Row, error)
	Close() error
}

// Detection describes what a reader found in a file, for map-check.
type Detection struct {
	File      string   `json:"file"`
	Format    string   `json:"format"`
	Encoding  string   `json:"encoding,omitempty"`
	Delimiter string   `json:"delimiter,omitempty"`
	Sheet     string   `json:"sheet,omitempty"`
	Sheets    []string `json:"sheets,omitempty"`
	HeaderRow int      `json:"header_row,omitempty"`
	Columns   []string `json:"columns,omitempty"`
}

// FormatTypes are the values format.type accepts.
var FormatTypes = []string{"auto", "csv", "txt", "xlsx", "xls"}

// ParseFormatType checks a format.type value ("" means auto).
func ParseFormatType(t string) error {
	if t == "" || slices.Contains(FormatTypes, t) {
		return nil
	}
	return fmt.Errorf("%q: want %s", t, strings.Join(FormatTypes, ", "))
}

// Kind decides how a file is read: by the configured type, else by its
// content (a spreadsheet named .csv is still a spreadsheet), else by extension.
func Kind(path, configured string) (string, error) {
	switch configured {
	case "", "auto":
	case "txt":
		return "csv", nil
	default:
		return configured, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "xlsx", nil
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "xls", nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return "xlsx", nil
	case ".xls":
		return "xls", nil
	}
	return "csv", nil
}

// OpenFile opens one export file with the reader its kind needs.
func OpenFile(path, source string, f FileFormat) (FileReader, Detection, error) {
	if err := regularFile(path); err != nil {
		return nil, Detection{File: path}, err
	}
	kind, err := Kind(path, f.Type)
	if err != nil {
		return nil, Detection{File: path}, err
	}
	switch kind {
	case "csv":
		r, err := textfile.Open(path, source, textfile.Options{
			Delimiter: f.Delimiter, Header: f.Header, Encoding: f.Encoding, Fallback: f.FallbackEncoding,
			MaxLineBytes: f.MaxLineBytes,
		})
		if err != nil {
			return nil, Detection{File: path, Format: kind}, err
		}
		d := r.Detected()
		return r, Detection{File: path, Format: "csv", Encoding: d.Encoding, Delimiter: d.Delimiter,
			HeaderRow: d.HeaderLine, Columns: d.Columns}, nil
	case "xlsx", "xls":
		return openSheet(path, source, kind, f)
	}
	return nil, Detection{File: path}, fmt.Errorf("%s: unknown format %q", path, kind)
}

// regularFile refuses what is not a regular file before anything opens it:
// opening a named pipe waits for a writer forever, while the run holds the
// lock; a device or a socket is no export either.
func regularFile(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if m := info.Mode(); !m.IsRegular() {
		return fmt.Errorf("%s: not a regular file (%s), skipped", path, fileKind(m))
	}
	return nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}
