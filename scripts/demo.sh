#!/usr/bin/env bash
# `make demo`: the whole pipeline on examples/leads.csv with embedded defaults.
# Starts its own embedded Redis (var/demo/redis), serves the example prospect sites and the preview
# server on 127.0.0.1, ingests the CSV, runs burst workers until every lead is terminal, and prints
# a per-lead table. Re-running starts from a clean var/demo.
set -euo pipefail
cd "$(dirname "$0")/.."

export PIPELINE_VAR_DIR="${DEMO_VAR_DIR:-var/demo}"
export PIPELINE_ALLOW_LOOPBACK=1          # the example sites live on 127.0.0.1: this run only
export PIPELINE_PREVIEW_PORT="${DEMO_PREVIEW_PORT:-8700}"
export PIPELINE_RETRY_BASE_S=1            # quick retries so the unreachable site degrades in seconds
export PIPELINE_RETRY_CAP_S='{"scrape": 2, "build": 2, "deploy": 2, "qa": 2, "email": 2}'
export PIPELINE_FETCH_RETRIES=0
export PIPELINE_QA_CHECK_EXTERNAL_LINKS=0    # offline demo: external links are judged by the address guard alone
export PIPELINE_SENDER_POSTAL_ADDRESS="${PIPELINE_SENDER_POSTAL_ADDRESS:-1 Example Street, Bristol BS1 1AA, UK}"
export PIPELINE_REPLY_TO="${PIPELINE_REPLY_TO:-team@demo-agency.localhost}"
export PIPELINE_LOG_LEVEL="${PIPELINE_LOG_LEVEL:-WARNING}"
unset REDIS_URL                           # the demo never touches a real Redis
first_port="${DEMO_SITES_PORT:-8701}"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  pipeline redis stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$PIPELINE_PREVIEW_PORT" "$first_port" "$((first_port + 1))" "$((first_port + 2))"; do
  if ! port_free "$port"; then
    echo "demo: port $port on 127.0.0.1 is taken; free it or set DEMO_PREVIEW_PORT / DEMO_SITES_PORT" >&2
    exit 1
  fi
done

echo "== fresh demo state in $PIPELINE_VAR_DIR"
pipeline redis stop >/dev/null 2>&1 || true
rm -rf "$PIPELINE_VAR_DIR"
mkdir -p "$PIPELINE_VAR_DIR/sites"
pipeline redis start

echo "== example prospect sites and the preview server"
python examples/serve.py --first-port "$first_port" & pids+=($!)
pipeline serve >"$PIPELINE_VAR_DIR/preview.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do port_free "$PIPELINE_PREVIEW_PORT" || break; sleep 0.1; done

csv="examples/leads.csv"
if [ "$first_port" != 8701 ]; then   # the CSV names ports 8701-8703
  csv="$PIPELINE_VAR_DIR/leads.csv"
  sed -e "s/127.0.0.1:8701/127.0.0.1:$first_port/; s/127.0.0.1:8702/127.0.0.1:$((first_port + 1))/" \
      -e "s/127.0.0.1:8703/127.0.0.1:$((first_port + 2))/" examples/leads.csv >"$csv"
fi

echo "== ingest $csv (one bad row, one unreachable site)"
rc=0; pipeline ingest "$csv" || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || exit "$rc"

echo "== workers: scrape → build → deploy → qa → email, until every lead is terminal"
pipeline drain --timeout-s 180

echo "== reconcile: no lead may be left without a job (cron runs this every few minutes)"
pipeline reconcile

echo "== leads"
pipeline leads
pipeline status

echo "== quality gates: held for review, the visual canary of each layout, the run report"
pipeline review list
pipeline canary status
report=$(pipeline report | sed -n 's/^report: //p')

echo
echo "Where to look next:"
echo "  emails:        $PIPELINE_VAR_DIR/outbox/*.eml"
echo "  rejected rows: $(ls "$PIPELINE_VAR_DIR"/rejects/*.csv 2>/dev/null | head -1)"
echo "  built sites:   $PIPELINE_VAR_DIR/sites/ (served while the demo runs at http://127.0.0.1:$PIPELINE_PREVIEW_PORT/)"
echo "  one lead:      PIPELINE_VAR_DIR=$PIPELINE_VAR_DIR .venv/bin/pipeline lead KEY   (needs: pipeline redis start)"
echo "  run report:    $report"
echo "  review page:   pipeline review serve   (127.0.0.1:8710; approve or reject held leads)"
echo "  all processes: make run   (Procfile under honcho: workers, rq-dashboard, preview, review page)"

echo
echo "== unsubscribe: an RFC 8058 one-click POST to the first email's List-Unsubscribe link"
first_eml=$(ls "$PIPELINE_VAR_DIR"/outbox/*.eml | head -1)
python - "$first_eml" <<'PY'
import re, sys, urllib.request
head = open(sys.argv[1], encoding="utf-8").read().replace("\r\n", "\n").split("\n\n", 1)[0]
assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in head, "no one-click header"
url = re.search(r"^List-Unsubscribe: <(http[^>]+)>", head, re.M).group(1)
req = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST")
print("POST", url, "->", urllib.request.urlopen(req, timeout=10).status)
PY
pipeline suppress list

# the demo's promise: every lead with a readable site emailed, exactly one .eml each; the lead
# whose site is unreachable held for review (PIPELINE_HOLD_DEGRADED), never emailed
expected=$(pipeline leads | grep -c "emailed" || true)
held=$(pipeline leads | grep -c "held" || true)
emails=$(ls "$PIPELINE_VAR_DIR"/outbox/*.eml 2>/dev/null | wc -l)
unsubscribed=$(pipeline suppress list 2>/dev/null | grep -c "unsubscribed" || true)
if [ "$expected" -ne 3 ] || [ "$emails" -ne 3 ] || [ "$held" -ne 1 ] || [ "$unsubscribed" -ne 1 ]; then
  echo "demo: expected 3 emailed leads with one .eml each, 1 held and 1 unsubscribe, got $expected leads," \
    "$emails files, $held held, $unsubscribed unsubscribes" >&2
  exit 1
fi

echo "== a hostile export (after the checks: it adds no lead): cp1252 (Excel on Windows), a metadata URL, a NUL byte, a formula, a known prospect"
hostile="$PIPELINE_VAR_DIR/hostile-export.csv"
LC_ALL=C sed -e "s/127.0.0.1:8701/127.0.0.1:$first_port/" examples/hostile-export.csv >"$hostile"
rc=0; out=$(pipeline ingest "$hostile") || rc=$?
echo "$out"
if [ "$rc" -ne 3 ] || ! grep -q "encoding: cp1252" <<<"$out" || ! grep -q "rejected 3, duplicate 1, enqueued 0" <<<"$out"; then
  echo "demo: the hostile export should be read as cp1252, 3 rows rejected, 1 duplicate (exit 3), got exit $rc" >&2
  exit 1
fi

echo "demo OK: 3 leads emailed, 1 held for review (site unreachable), 1 row rejected (+3 from the hostile export), 1 address unsubscribed by one-click"
