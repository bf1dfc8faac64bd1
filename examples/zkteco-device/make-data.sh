#!/bin/sh
# Writes the small demo files of this example: two devices' logs (ZKTeco
# attlog.dat layout: PIN, time, device, state, verify, work code, tab
# separated) and the users both devices hold.
set -e
cd "$(dirname "$0")"
printf 'pin,name,card,privilege\n1001,Ann Lima,4242,0\n1002,Bao Tran,0,0\n1003,Chidi Okafor,77,14\n' > users.csv
: > gate-attlog.dat
: > store-attlog.dat
for d in 01 02 03; do
  printf '1001\t2025-12-%s 07:58:12\t1\t0\t1\t0\n1002\t2025-12-%s 08:03:40\t1\t0\t1\t0\n1001\t2025-12-%s 17:02:05\t1\t1\t1\t0\n1002\t2025-12-%s 17:15:31\t1\t1\t15\t0\n' $d $d $d $d >> gate-attlog.dat
  printf '1003\t2025-12-%s 08:30:00\t1\t0\t4\t0\n1003\t2025-12-%s 16:30:00\t1\t1\t4\t0\n' $d $d >> store-attlog.dat
done
printf 'id,attendance_no,name,status\nE1001,1001,Ann Lima,active\nE1002,1002,Bao Tran,active\nE1003,1003,Chidi Okafor,active\n' > employees.csv
