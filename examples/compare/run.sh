#!/usr/bin/env bash
# Runs every example with one hrsync binary and writes what each run
# reports into OUT: the per-row reports, stdout as JSON where the command
# has --output json, and the exit codes. Two binaries' folders are then
# compared with `diff -r`, so a change of shape can show that the reports
# of every example are byte-identical before and after:
#
#   examples/compare/run.sh /tmp/hrsync-old /tmp/out-old
#   examples/compare/run.sh /tmp/hrsync-new /tmp/out-new
#   diff -r /tmp/out-old /tmp/out-new
#
# The mariadb-hr example runs when MariaDB answers on 127.0.0.1:3306 (its
# tables are created fresh under a suffix of this run and dropped after).
# zkteco-sqlserver needs SQL Server and is only checked with `config check`.
set -uo pipefail
bin=$(realpath "$1"); out=$(realpath -m "$2")
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"; mkdir -p "$out"
# A fixed folder, since the reports name the files they read.
work=/tmp/hrsync-examples-compare
rm -rf "$work"; mkdir -p "$work"; trap 'rm -rf "$work"' EXIT

# run NAME DIR ARGS...: one command in an example's copy; keeps stdout
# (run-specific values masked) and the exit code.
run() {
  local name=$1 dir=$2; shift 2
  (cd "$dir" && "$bin" "$@" --config hrsync.yaml >"$out/$name.stdout" 2>"$out/$name.stderr")
  echo $? >"$out/$name.exit"
  # Run ids and times of the run differ between any two runs.
  sed -i -E -e "s#$out#OUT#g" -e 's/"(run_id|id|started_at|finished_at|duration_ms|elapsed|duration)": *("[^"]*"|[0-9.]+)/"\1":X/g' \
    -e 's/[0-9]{8}-[0-9]{6}/STAMP/g' -e 's/run [0-9]+/run N/g' -e 's/[0-9.]+(ms|s)\b/Ts/g' "$out/$name.stdout" "$out/$name.stderr"
}

copy() { mkdir -p "$work/$1"; cp "$here/$1"/* "$work/$1/"; echo "$work/$1"; }

d=$(copy quickstart)
run quickstart-import "$d" import --report "$out/quickstart-import.csv" --quiet
run quickstart-import-again "$d" import --report "$out/quickstart-import-again.csv" --quiet
run quickstart-import-json "$d" import --dry-run --output json --report "$out/quickstart-dry.jsonl" --report-format jsonl
run quickstart-map-check "$d" map-check --output json
run quickstart-map-check-xlsx "$d" map-check --report "$out/quickstart-map-check.csv" --quiet
run quickstart-suggest "$d" map-check --suggest --file punches.csv
run quickstart-config-check "$d" config check

d=$(copy spreadsheet)
run spreadsheet-import "$d" import --report "$out/spreadsheet-import.csv" --quiet
run spreadsheet-import-again "$d" import --report "$out/spreadsheet-import-again.csv" --quiet
run spreadsheet-map-check "$d" map-check --output json

d=$(copy push-users)
run push-users-dry "$d" push-users --dry-run --output json
run push-users "$d" push-users --output json
run push-users-again "$d" push-users --output json

d=$(copy zkteco-sqlserver)
ZK_DB_USER=reader ZK_DB_PASSWORD=secret run zkteco-config-check "$d" config check

if (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null && command -v mariadb >/dev/null; then
  d=$(copy mariadb-hr)
  suffix=_cmp$$
  sed -i -e "s/hr_employees/hr_employees$suffix/g" -e "s/hr_attendance/hr_attendance$suffix/g" "$d/schema.sql" "$d/hrsync.yaml"
  mariadb -h 127.0.0.1 -u root test <"$d/schema.sql"
  run mariadb-import "$d" import --report "$out/mariadb-import.csv" --quiet
  run mariadb-import-again "$d" import --report "$out/mariadb-import-again.csv" --quiet
  mariadb -h 127.0.0.1 -u root test -e "DROP TABLE hr_employees$suffix, hr_attendance$suffix"
fi
ls "$out" | wc -l | xargs echo "files in $out:"
