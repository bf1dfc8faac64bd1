#!/usr/bin/env python3
"""Writes map-check's test fixtures. Run from this folder: python3 make-fixtures.py"""
import codecs

employees = [
    # id, attendance_no, employee_no, name, status, department
    ("E1", "1001", "P1001", "An Nguyen", "active", "Assembly"),
    ("E2", "1002", "P1002", "Binh Tran", "active", "Assembly"),
    ("E3", "1003", "P1003", "Chi Le", "active", "Packing"),
    ("E4", "1004", "P1004", "Dung Pham", "resigned", "Packing"),
    ("E5", "1005", "P1005", "Em Vo", "active", "QA"),  # never punches
]
with open("employees.csv", "w", newline="") as f:
    f.write("id,attendance_no,employee_no,name,status,department\n")
    for e in employees:
        f.write(",".join(e) + "\n")

# gate.csv: UTF-8; keys with an @company suffix, day/month order that the
# data proves (13/01), a code nobody configured (9), a future time, a time
# before the floor, a duplicate, an unparsable time.
rows = [
    ("1001", "12/01/2025 08:00:00", "I", "G1"),
    ("1002", "12/01/2025 08:01:00", "I", "G1"),
    ("1003", "13/01/2025 08:02:00", "I", "G1"),   # proves day-first
    ("1001", "13/01/2025 17:00:00", "O", "G1"),
    ("1001", "13/01/2025 17:00:00", "O", "G1"),   # duplicate of the row above
    ("2001@company", "13/01/2025 17:05:00", "O", "G2"),
    ("2001@company", "14/01/2025 08:00:00", "I", "G2"),
    ("1002@company", "14/01/2025 08:03:00", "I", "G2"),
    ("1003@company", "14/01/2025 08:04:00", "I", "G2"),
    ("1002", "14/01/2025 12:00:00", "9", "G1"),     # unknown code
    ("1003", "31/02/2025 08:00:00", "I", "G1"),     # no such day
    ("1002", "01/01/2019 08:00:00", "I", "G1"),     # before the floor
    ("1003", "01/01/2099 08:00:00", "I", "G1"),     # future
    ("1004", "14/01/2025 09:00:00", "I", "G1"),     # resigned
]
with open("gate.csv", "w", newline="") as f:
    f.write("Emp No,Date/Time,Status,Device\n")
    for r in rows:
        f.write(",".join(r) + "\n")

# ambiguous.csv: no day above 12 anywhere.
with open("ambiguous.csv", "w", newline="") as f:
    f.write("Emp No,Date/Time\n")
    f.write("1001,03/04/2025 08:00\n1002,04/05/2025 08:00\n1003,05/06/2025 08:00\n")

# gbk.csv: a Chinese ZKTeco-style export in GBK, no byte-order mark; keys
# lost their leading zeros in the HR system ("01001" here, "1001" there).
gbk_rows = [
    ("01001", "安", "2025-01-12 08:00:00", "上班签到", "1"),
    ("01002", "斌", "2025-01-12 08:01:00", "上班签到", "1"),
    ("01003", "芝", "2025-01-12 17:30:00", "下班签退", "2"),
    ("01001", "安", "2025-01-12 17:31:00", "下班签退", "2"),
]
with open("gbk.csv", "wb") as f:
    text = "工号,姓名,打卡时间,状态,机器号\r\n" + "".join(",".join(r) + "\r\n" for r in gbk_rows)
    f.write(text.encode("gbk"))

# utf16.txt: Excel "Unicode text" (UTF-16LE with a byte-order mark, tab
# separated) with Vietnamese headers; month-first dates with PM.
u16_rows = [
    ("1001", "1/13/2025 8:00:00 AM", "Vào"),
    ("1002", "1/13/2025 8:05:00 AM", "Vào"),
    ("1001", "1/13/2025 5:00:00 PM", "Ra"),
    ("9999", "1/14/2025 8:00:00 AM", "Vào"),
]
with open("utf16.txt", "wb") as f:
    text = "Mã NV\tThời gian\tTrạng thái\r\n" + "".join("\t".join(r) + "\r\n" for r in u16_rows)
    f.write(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

# french.csv: semicolons, French headers, Excel serial times.
with open("french.csv", "w", newline="") as f:
    f.write("Matricule;Nom;Date/Heure;Sens\n")
    f.write("1001;An;45669.3333333333;Entrée\n1002;Binh;45669.34375;Entrée\n1001;An;45669.7083333333;Sortie\n")
