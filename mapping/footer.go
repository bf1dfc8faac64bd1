package mapping

import (
	"strings"
	"unicode"
)

// FooterReason starts the reason of a row rejected as a footer.
const FooterReason = "footer"

// footerWords start the summary lines exports add after the data
// ("记录数:1649", "Total: 212", "Tổng cộng 212"), compared lower-cased.
var footerWords = []string{
	"记录数", "总记录数", "记录总数", "合计", "总计", "共计", "总数", "打印时间", "制表",
	"total", "totals", "grand total", "count", "record count", "records", "rows", "sum", "printed",
	"tổng", "tổng cộng", "số bản ghi", "số dòng",
}

// LooksLikeFooter reports a row that is a summary line (map-check's
// sampling skips them as the mapping rejects them).
func LooksLikeFooter(fields []string) bool { return looksLikeFooter(fields) }

// looksLikeFooter reports a row that is a summary line rather than a
// punch: at most two non-empty cells, the first a footer word, alone or
// followed by a separator and a count.
func looksLikeFooter(fields []string) bool {
	var cells []string
	for _, f := range fields {
		if t := trimValue(f); t != "" {
			cells = append(cells, t)
		}
	}
	if len(cells) == 0 || len(cells) > 2 {
		return false
	}
	head := strings.ToLower(cells[0])
	for _, w := range footerWords {
		rest, ok := strings.CutPrefix(head, w)
		if !ok {
			continue
		}
		rest = strings.TrimLeftFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(":：=（(", r) })
		rest = strings.TrimRightFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(")）条行", r) })
		if rest == "" || strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' }) < 0 {
			return true
		}
	}
	return false
}

// footer turns a reject of a footer row into invalid_row "footer", so the
// report does not call a summary line bad data.
func (b *Binding) footer(row *Row, rej *Reject) *Reject {
	if rej == nil || !looksLikeFooter(row.Fields) {
		return rej
	}
	return b.reject(row, InvalidRow, nil, FooterReason+": a summary line the export adds after its rows, not a punch")
}
