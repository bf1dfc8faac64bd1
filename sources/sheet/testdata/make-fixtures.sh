#!/bin/sh
# Rebuilds the spreadsheet fixtures from their text sources with LibreOffice,
# a real writer of both formats. Tests use the committed outputs and do not
# need LibreOffice. Install: apt-get install -y libreoffice-calc-nogui
#
#   workbook.fods  -> workbook.xlsx, workbook.xls  (hidden first sheet, title
#                     and blank row above the header, date/time columns,
#                     C/In C/Out, formulas, error cells, text "00123", a
#                     second sheet, an empty sheet)
#   date1904.fods  -> date1904.xlsx, date1904.xls (1904 date system)
#   export.csv     -> export.xlsx, export.xls (CSV import: 000081 becomes 81)
#   misnamed-*, truncated-*: copies and cut-offs of the above
#   ../../../examples/spreadsheet/punches.csv -> punches.xlsx
set -eu
cd "$(dirname "$0")"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
soffice() {
	command soffice -env:UserInstallation="file://$profile" --headless "$@" >/dev/null
}
csv='CSV:44,34,76,1'

for src in workbook.fods date1904.fods; do
	soffice --convert-to xlsx "$src"
	soffice --convert-to 'xls:MS Excel 97' "$src"
done
for fmt in xlsx 'xls:MS Excel 97'; do
	soffice --infilter="$csv" --convert-to "$fmt" export.csv
done

# LibreOffice's headless export writes every sheet visible, so hide the
# first sheet the way Excel stores it: state="hidden" in workbook.xml, and
# hsState=1 in the sheet's BOUNDSHEET record of the .xls.
python3 - <<'PY'
import re, shutil, zipfile
src, tmp = "workbook.xlsx", "workbook.tmp.xlsx"
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "xl/workbook.xml":
            data = data.replace(b'<sheet name="Setup" sheetId="1" state="visible"', b'<sheet name="Setup" sheetId="1" state="hidden"')
        zout.writestr(item, data)
shutil.move(tmp, src)
data = bytearray(open("workbook.xls", "rb").read())
m = re.search(rb"\x85\x00..(....)\x00\x00\x05\x00Setup", bytes(data), re.S)
assert m, "BOUNDSHEET of Setup not found"
data[m.start() + 8] = 1
open("workbook.xls", "wb").write(data)
PY

cp workbook.xls misnamed-xls.xlsx
cp workbook.xlsx misnamed-xlsx.xls
head -c 3000 workbook.xlsx > truncated.xlsx
head -c 6000 workbook.xls > truncated.xls

ex=../../../examples/spreadsheet
soffice --infilter="$csv" --convert-to xlsx --outdir "$ex" "$ex/punches.csv"
