package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hrsync/hrsync/internal/exitcode"
	"github.com/hrsync/hrsync/mapping"
)

func TestCSVOpensInExcelAndEscapesFormulas(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, CSV, time.UTC)
	w.Write(&Line{Source: "gate", File: "a.csv", Line: 7, Key: "=HYPERLINK(\"x\")", Outcome: mapping.Unmapped,
		Reason: "no employee", Raw: []string{"=1+2", "2025-12-01 08:00"}})
	w.Write(&Line{Source: "gate", File: "a.csv", Line: 8, Key: "1001", EmployeeID: "E1", Time: time.Date(2025, 12, 1, 1, 0, 0, 0, time.UTC), Outcome: mapping.Imported})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 BOM")
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF")))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[1][4] != "'=HYPERLINK(\"x\")" || recs[1][11] != "'=1+2,2025-12-01 08:00" {
		t.Fatalf("row = %q", recs[1])
	}
	if recs[2][6] != "2025-12-01T01:00:00Z" {
		t.Fatalf("time = %q", recs[2][6])
	}
	if w.Counts.Total() != 2 || w.Counts.Rejected() != 1 {
		t.Fatalf("counts = %v", w.Counts)
	}
}

// Every record has the header's columns: imported rows (no raw fields),
// rejected rows with any number of fields, a malformed (ragged) row, a
// failed file. The raw column reads back as the row's fields.
func TestCSVEveryRowHasTheHeadersColumns(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, CSV, time.UTC)
	raws := [][]string{
		nil,
		{"1001", "2025-12-01 08:00", "in"},
		{"10,02", `say "hi"`, "", "x\ny", " lead", "extra", "fields", "past", "the", "header", "a", "b", "c", "d", "e", "f"},
		{"only"},
		nil,
	}
	outcomes := []mapping.Code{mapping.Imported, mapping.Unmapped, mapping.InvalidRow, mapping.InvalidTime, mapping.Failed}
	for i, raw := range raws {
		if err := w.Write(&Line{Source: "gate", File: "a.csv", Line: i + 2, Outcome: outcomes[i], Raw: raw}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF")))
	r.FieldsPerRecord = len(header) // a record of any other width is an error
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(recs) != len(raws)+1 || recs[0][len(header)-1] != "raw" {
		t.Fatalf("records = %q", recs)
	}
	for i, raw := range raws {
		cell := recs[i+1][len(header)-1]
		if raw == nil {
			if cell != "" {
				t.Errorf("line %d: raw = %q, want empty", i+2, cell)
			}
			continue
		}
		got, err := csv.NewReader(strings.NewReader(cell)).Read()
		if err != nil || !slices.Equal(got, raw) {
			t.Errorf("line %d: raw cell %q reads back as %q (%v), want %q", i+2, cell, got, err, raw)
		}
	}
}

func TestJSONLines(t *testing.T) {
	var buf bytes.Buffer
	w := New(&buf, JSONL, time.UTC)
	w.Write(&Line{Source: "gate", Line: 3, Outcome: mapping.InvalidTime, Reason: "bad", Raw: []string{"1", "x"}})
	w.Close()
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["outcome"] != "invalid_time" || got["line"] != float64(3) || got["raw_line"] != "1,x" || len(got["raw"].([]any)) != 2 {
		t.Fatalf("got %v", got)
	}
}

// A report sent to the null device, to keep none, closes without error.
func TestReportToNullDevice(t *testing.T) {
	w, err := Create(os.DevNull, CSV, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Line{Source: "gate", Line: 2, Outcome: mapping.Imported}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
}

func TestFormatFor(t *testing.T) {
	ok := []struct{ path, explicit, want string }{
		{"r.csv", "", CSV}, {"r.jsonl", "", JSONL}, {"r.json", "", JSONL}, {"r", "", CSV}, {os.DevNull, "", CSV},
		{"r.log", "", CSV}, {"r.log", "jsonl", JSONL}, {"r.csv", "JSONL", JSONL},
	}
	for _, c := range ok {
		if got, err := FormatFor(c.path, c.explicit); err != nil || got != c.want {
			t.Errorf("FormatFor(%q, %q) = %q, %v; want %q", c.path, c.explicit, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{"out.xlsx", ""}, {"out.XLS", "csv"}, {"x.pdf", ""}, {"r.csv", "xlsx"}} {
		_, err := FormatFor(c[0], c[1])
		if exitcode.For(err) != exitcode.Usage {
			t.Errorf("FormatFor(%q, %q): %v, want a usage error", c[0], c[1], err)
		}
	}
}
