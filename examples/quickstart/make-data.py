#!/usr/bin/env python3
"""Writes the quickstart's sample data: employees.csv and punches.csv.

Deterministic (fixed seed). 40 employees, 5 working days, an in and an out
punch each, plus the rows a real export always has: keys no employee has, a
resigned employee, a bad date, an impossible time, a blank key and an exact
duplicate. Run it from this folder: python3 make-data.py
"""
import csv
import random

random.seed(20251201)
depts = ["Production", "Production", "Warehouse", "Office"]
with open("employees.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "attendance_no", "employee_no", "name", "status", "department", "designation", "employee_type", "branch"])
    for i in range(40):
        status = "resigned" if i == 39 else "active"
        w.writerow([f"E{1001 + i}", f"{1001 + i}", f"P-{1001 + i}", f"Employee {1001 + i}", status,
                    depts[i % 4], "Operator" if i % 4 < 2 else "Clerk", "Permanent" if i % 3 else "Contract", "HCM"])

rows = []
for day in range(1, 6):
    for i in range(40):
        pin = f"{1001 + i:06d}" if i % 5 == 0 else f"{1001 + i}"  # some devices pad the PIN with zeros
        tin = f"2025-12-{day:02d} 0{7 + random.randint(0, 1)}:{random.randint(0, 59):02d}:{random.randint(0, 59):02d}"
        tout = f"2025-12-{day:02d} 1{7 + random.randint(0, 1)}:{random.randint(0, 59):02d}:{random.randint(0, 59):02d}"
        rows.append([pin, f"Employee {1001 + i}", tin, "C/In", "GATE-1"])
        rows.append([pin, f"Employee {1001 + i}", tout, "C/Out", "GATE-1"])
rows.sort(key=lambda r: r[2])
rows += [
    ["9001", "Visitor", "2025-12-03 09:15:00", "C/In", "GATE-1"],      # unmapped
    ["9002", "Contractor", "2025-12-04 10:00:00", "C/In", "GATE-2"],   # unmapped
    ["1005@company", "Employee 1005", "2025-12-05 12:00:00", "C/In", "GATE-2"],  # unmapped: device suffix
    ["1002", "Employee 1002", "2025-13-45 08:00:00", "C/In", "GATE-1"],  # a date that does not parse
    ["1003", "Employee 1003", "2025-12-05 14:67:13", "C/Out", "GATE-1"],  # an impossible time
    ["", "Nobody", "2025-12-05 15:00:00", "C/In", "GATE-1"],          # a blank key
    ["1004", "Employee 1004", "2025-12-05 16:00:00", "Break", "GATE-1"],  # an unknown direction code
]
rows.append(list(rows[10]))  # an exact duplicate of an earlier punch
with open("punches.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["AC-No", "Name", "Time", "State", "Device"])
    w.writerows(rows)
