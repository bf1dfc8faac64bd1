package sources

import "github.com/hrsync/hrsync/sources/sheet"

func openSheet(path, source, kind string, f FileFormat) (FileReader, Detection, error) {
	r, err := sheet.Open(path, source, sheet.Options{Sheet: f.Sheet, SheetIndex: f.SheetIndex, HeaderRow: f.HeaderRow,
		HeaderHints: f.HeaderHints, Header: f.Header})
	if err != nil {
		return nil, Detection{File: path, Format: kind}, err
	}
	d := r.Detected()
	return r, Detection{File: path, Format: d.Format, Sheet: d.Sheet, Sheets: d.Sheets, HeaderRow: d.HeaderRow, Columns: d.Columns}, nil
}
