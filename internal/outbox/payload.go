package outbox

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
)

// PayloadText is the body as a person reads it: zipped parts are unzipped
// (each up to 64 MiB), for `events show` and the console alike.
func (e Event) PayloadText() string {
	if e.ContentType != "application/zip" {
		return string(e.Payload)
	}
	zr, err := zip.NewReader(bytes.NewReader(e.Payload), int64(len(e.Payload)))
	if err != nil {
		return fmt.Sprintf("(a zip archive that cannot be read: %v)", err)
	}
	var b strings.Builder
	for _, f := range zr.File {
		fmt.Fprintf(&b, "(zip entry %s)\n", f.Name)
		rc, err := f.Open()
		if err != nil {
			fmt.Fprintf(&b, "(cannot open: %v)\n", err)
			continue
		}
		_, err = io.Copy(&b, io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			fmt.Fprintf(&b, "(cannot read: %v)\n", err)
		}
	}
	return b.String()
}
