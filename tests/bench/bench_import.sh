#!/bin/bash
# bench_import.sh -- `noddctl import` throughput and the cost of GET /api/v1/status.
#
# Starts nodd on an empty database, imports BENCH_NAMES generated names (gen_names.py,
# fixed seed, ages within 24 h: every name is new, listed and streamed), imports the same
# file again (every name known), imports as many other names with --baseline (a list of
# domains that exist today: known, never listed or streamed), then times
# GET /api/v1/status and GET /metrics. Prints
# names/s of the imports, the longest status answer during the first, and the status and
# metrics times. Uses only 127.0.0.1 and ports
# the kernel picks; stops what it started by PID. The figures are for comparison, not a
# pass/fail test: it exits 0 whenever the harness itself worked.
#
# usage: tests/bench/bench_import.sh [BUILD_DIR]     (default: build)
# Environment: BENCH_NAMES (1000000), BENCH_BATCH (names per request, noddctl's default
# when unset), BENCH_KEEP (1 = keep the temp dir),
# BENCH_PERF (1 = record a perf profile of nodd during the first import, 2 = during the
# second, 3 = during the baseline import; kept in the temp dir with BENCH_KEEP=1).
set -u
NAMES=${BENCH_NAMES:-1000000}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
# a relative build directory is taken from the top of the tree
case "$BUILD" in /*) ;; *) BUILD="$(cd "$HERE/../.." && pwd)/$BUILD" ;; esac
NODD="$BUILD/daemon/nodd"
NODDCTL="$BUILD/ctl/noddctl"

log() { printf '[bench] %s\n' "$*" >&2; }

[ -x "$NODD" ] && [ -x "$NODDCTL" ] || { log "$NODD or $NODDCTL not built"; exit 1; }
TMP=$(mktemp -d /tmp/nodd-import.XXXXXX) || exit 1
PID=

stop_nodd() {
	local i
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	for ((i = 0; i < 300; i++)); do
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}
cleanup() {
	stop_nodd
	if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }
secs() { awk -v d="$(($2 - $1))" 'BEGIN { printf "%.2f", d / 1e9 }'; }
rate() { awk -v n="$1" -v d="$(($3 - $2))" 'BEGIN { printf "%.0f", n / (d / 1e9) }'; }

log "generating $NAMES names"
"$PY" "$HERE/gen_names.py" "$TMP/data" --count "$NAMES" --queries 2 --dnsperf 1 || exit 1

# The HTTP port, and a DNS port free for TCP and for UDP (nodd listens on both).
read -r HPORT DPORT <<< "$("$PY" -c '
import socket
h = socket.socket(); h.bind(("127.0.0.1", 0))
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).bind(("127.0.0.1", p))
        break
    except OSError:
        t.close()
print(h.getsockname()[1], p)')"
CONF="$TMP/nodd.yaml"
cat > "$CONF" <<EOF
server:
  listen: [127.0.0.1@$DPORT]
  http: 127.0.0.1@$HPORT
  database: $TMP/nodd.db
  udp-threads: 1
  log-level: warning
publish:
  suffix: nod.example.
EOF
"$NODD" -c "$CONF" > "$TMP/nodd.log" 2>&1 &
PID=$!
for ((i = 0; i < 300; i++)); do
	curl -s -o /dev/null "http://127.0.0.1:$HPORT/metrics" && break
	kill -0 "$PID" 2>/dev/null || { log "nodd exited:"; cat "$TMP/nodd.log" >&2; exit 1; }
	sleep 0.1
done

PERF_PID=
perf_start() {
	[ "${BENCH_PERF:-0}" = "$1" ] && command -v perf > /dev/null || return 0
	perf record --call-graph dwarf,16384 -F 250 -o "$TMP/perf.data" -p "$PID" \
		> "$TMP/perf.log" 2>&1 &
	PERF_PID=$!
	sleep 1
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID"; wait "$PERF_PID"; PERF_PID=
	log "profile of the import: perf report -i $TMP/perf.data"
}

# CPU seconds (user + system) nodd has used so far, and those of each noddctl run: on a
# shared machine the wall time also counts the time other processes held the cores.
TICK=$(getconf CLK_TCK)
nodd_cpu() { awk -v t="$TICK" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$PID/stat"; }
# seconds nodd's threads were runnable but waiting for a core (the kernel's schedstat)
nodd_wait() { cat /proc/$PID/task/*/schedstat | awk '{ w += $2 } END { printf "%.2f", w / 1e9 }'; }
TIMEFORMAT='%U %S'
import() {
	{ time "$NODDCTL" -c "$CONF" import "$2" \
		${BENCH_BATCH:+--batch "$BENCH_BATCH"} ${3:-} > "$TMP/import.$1.log" \
		2>&1; } 2> "$TMP/import.$1.cpu" || {
		log "import $1 failed:"; cat "$TMP/import.$1.log" "$TMP/nodd.log" >&2; exit 1; }
}
ctl_cpu() { awk '{ printf "%.2f", $1 + $2 }' "$TMP/import.$1.cpu"; }
# While the new names go in, GET /api/v1/status every 10 ms on one connection: each batch
# is one transaction on nodd's event loop, so the longest answer is how long a batch held it.
poll_start() {
	"$PY" - "$HPORT" "$TMP/poll.stop" > "$TMP/poll.out" <<'PYEOF' &
import http.client, os, sys, time
port, stop = int(sys.argv[1]), sys.argv[2]
worst, n = 0.0, 0
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
while not os.path.exists(stop):
    t = time.monotonic()
    c.request("GET", "/api/v1/status")
    c.getresponse().read()
    worst, n = max(worst, time.monotonic() - t), n + 1
    time.sleep(0.01)
print("%.0f %d" % (worst * 1000, n))
PYEOF
	POLL_PID=$!
}
poll_stop() {
	touch "$TMP/poll.stop"
	wait "$POLL_PID"
	read -r POLL_MS POLL_N < "$TMP/poll.out"
}
perf_start 1
poll_start
w0=$(nodd_wait); c0=$(nodd_cpu); t0=$(now_ns); import first "$TMP/data/names.txt"; t1=$(now_ns); c1=$(nodd_cpu); w1=$(nodd_wait)
poll_stop
perf_stop
perf_start 2
c2=$(nodd_cpu); t2=$(now_ns); import again "$TMP/data/names.txt"; t3=$(now_ns); c3=$(nodd_cpu)
perf_stop
# other names of the same shape: "b" before each
sed 's/^/b/' "$TMP/data/names.txt" > "$TMP/data/baseline.txt"
perf_start 3
c4=$(nodd_cpu); t4=$(now_ns); import baseline "$TMP/data/baseline.txt" --baseline; t5=$(now_ns); c5=$(nodd_cpu)
perf_stop

# The status and metrics calls: the best of 5 (other processes share the machine).
best() {
	local url=$1 b="" t i
	for ((i = 0; i < 5; i++)); do
		t=$(curl -s -o /dev/null -w '%{time_total}' "$url")
		b=$(awk -v a="$b" -v t="$t" 'BEGIN { print (a == "" || t < a) ? t : a }')
	done
	awk -v t="$b" 'BEGIN { printf "%.1f", t * 1000 }'
}
ST=$(best "http://127.0.0.1:$HPORT/api/v1/status")
MT=$(best "http://127.0.0.1:$HPORT/metrics")
STORED=$(curl -s "http://127.0.0.1:$HPORT/api/v1/status" |
	"$PY" -c 'import json, sys; print(json.load(sys.stdin)["store_names"])')

sed 's/^/    /' "$TMP/import.first.log" "$TMP/import.again.log" "$TMP/import.baseline.log" >&2
cpu() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
echo "import of $NAMES new names:   $(secs "$t0" "$t1") s, $(rate "$NAMES" "$t0" "$t1") names/s" \
	"(CPU: nodd $(cpu "$c0" "$c1") s, noddctl $(ctl_cpu first) s; nodd waited $(cpu "$w0" "$w1") s for a core)"
echo "  longest GET /api/v1/status during it: $POLL_MS ms (of $POLL_N; a batch holds the event loop)"
echo "import of $NAMES known names: $(secs "$t2" "$t3") s, $(rate "$NAMES" "$t2" "$t3") names/s" \
	"(CPU: nodd $(cpu "$c2" "$c3") s, noddctl $(ctl_cpu again) s)"
echo "import --baseline of $NAMES other names: $(secs "$t4" "$t5") s, $(rate "$NAMES" "$t4" "$t5") names/s" \
	"(CPU: nodd $(cpu "$c4" "$c5") s, noddctl $(ctl_cpu baseline) s)"
echo "GET /api/v1/status with $STORED names stored: $ST ms; GET /metrics: $MT ms"
