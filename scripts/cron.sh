#!/usr/bin/env bash
# Thin cron wrapper: scripts/cron.sh NAME COMMAND...
# Runs COMMAND under an exclusive, non-blocking flock on <var>/run/NAME.lock (an overlapping run
# exits at once instead of colliding), appending its output to <var>/log/NAME.log. The var dir is
# the one the settings say (the same env file as every other process: `pipeline config get var_dir`).
set -uo pipefail
name="$1"; shift
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
export PATH="$here/.venv/bin:$PATH"
if ! var="$(pipeline config get var_dir)"; then
  echo "$(date -u +%FT%TZ) $name: configuration error, nothing run" >&2
  exit 2
fi
mkdir -p "$var/log" "$var/run" "$var/inbox"
log="$var/log/$name.log"
exec 9>"$var/run/$name.lock"
if ! flock -n 9; then
  echo "$(date -u +%FT%TZ) $name: previous run still going, skipped" >>"$log"
  exit 0
fi
echo "$(date -u +%FT%TZ) $name: start: $*" >>"$log"
"$@" >>"$log" 2>&1
rc=$?
# exit 3 = ingest finished but rejected some rows (see the rejects file): not a cron failure
[ "$rc" -eq 3 ] && rc=0
echo "$(date -u +%FT%TZ) $name: exit $rc" >>"$log"
exit "$rc"
