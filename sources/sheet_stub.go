package sources

import "fmt"

func openSheet(path, source, kind string, f FileFormat) (FileReader, Detection, error) {
	return nil, Detection{File: path, Format: kind}, fmt.Errorf("%s: %s files are not supported yet", path, kind)
}
