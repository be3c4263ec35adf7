#!/bin/bash
# run_bench.sh -- `make bench`: nodd and rbldnsd serving the same 1,000,000 names in the same run; see README.md.
#
# usage: tests/bench/run_bench.sh [BUILD_DIR]     (default: build)
# Environment: BENCH_NAMES (1000000), BENCH_DURATION (10 s per load run), BENCH_RATE
# (40000), BENCH_SOCKETS (4), BENCH_INFLIGHT (32 per socket), BENCH_DNSPERF (1 = also run
# dnsperf -l BENCH_DNSPERF_SECS, 10), BENCH_KEEP (1 = keep the temp dir), BENCH_SERVERS
# ("nodd rbldnsd"), BENCH_SERVING_ONLY (1 = stop after this table), BENCH_CAP (50: % of
# one core the server gets in the server-bound run; 0 = skip it), BENCH_SERVE_PERF (FILE: record
# the server with perf during the server-bound run into FILE.nodd / FILE.rbldnsd), BENCH_RESULTS
# (a file for the figures as key=value lines).
# Exits 0 whenever the harness itself worked, whatever the numbers.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PY=/usr/bin/python3

NAMES=${BENCH_NAMES:-1000000}
DUR=${BENCH_DURATION:-10}
RATE=${BENCH_RATE:-40000}
SOCKETS=${BENCH_SOCKETS:-4}
INFLIGHT=${BENCH_INFLIGHT:-32}
DNSPERF=${BENCH_DNSPERF:-1}
DNSPERF_SECS=${BENCH_DNSPERF_SECS:-10}
CAP=${BENCH_CAP:-50}
SERVERS=${BENCH_SERVERS:-nodd rbldnsd}
ZONE=v1.bl.nod.example
SERVER_CPU=0
CLIENT_CPU=1

NODD="$BUILD/daemon/nodd"
NODDCTL="$BUILD/ctl/noddctl"
LOADGEN="$BUILD/tests/bench/loadgen"
RBLDNSD=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)

TMP=$(mktemp -d /tmp/nodd-bench.XXXXXX) || exit 1
PIDS=()

log() { printf '[bench] %s\n' "$*" >&2; }

# Stop one process we started: SIGTERM, up to $2 seconds (default 10), then SIGKILL.
stop_pid() {
	local pid=$1 wait_s=${2:-10} i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < wait_s * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid did not stop in ${wait_s}s; SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
	[ -n "$CG_DIR" ] && rmdir "$CG_DIR" 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two ports free for both UDP and TCP on 127.0.0.1: the kernel picks them (bind port 0).
free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
held, ports = [], []
while len(ports) < int(sys.argv[1]):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        t.close()
        continue
    held += [t, u]
    ports.append(p)
print(" ".join(map(str, ports)))
EOF
}

# "key=value ..." field of the loadgen result line in file $1.
field() { sed -n 's/^result .*[ ]'"$2"'=\([^ ]*\).*/\1/p' "$1" | tail -n 1; }

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null; }
now_ns() { date +%s%N; }

declare -A R   # results: R[server.key]

# Answers per second of server CPU: q/s divided by the server's share of one core (%).
per_core() {
	awk -v q="${1:-}" -v c="${2:-}" 'BEGIN { if (q + 0 > 0 && c + 0 > 0) printf "%.0f", q * 100 / c; else printf "-" }'
}

# A cpu cgroup holding at most $CAP % of one core, for the server-bound run; prints the
# file to write a PID into (the server's threads move with it), or nothing when this
# machine cannot (no cgroup cpu controller we may write: not root, or a nested cgroup v2).
CG_DIR=
cap_cgroup() {
	local d=nodd-bench-$$ period=10000
	if [ -w /sys/fs/cgroup/cgroup.subtree_control ] && grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
		mkdir -p "/sys/fs/cgroup/$d" 2>/dev/null &&
			echo "$((period * CAP / 100)) $period" > "/sys/fs/cgroup/$d/cpu.max" 2>/dev/null &&
			CG_DIR=/sys/fs/cgroup/$d
	elif [ -w /sys/fs/cgroup/cpu/cgroup.procs ]; then
		mkdir -p "/sys/fs/cgroup/cpu/$d" 2>/dev/null &&
			echo "$period" > "/sys/fs/cgroup/cpu/$d/cpu.cfs_period_us" &&
			echo "$((period * CAP / 100))" > "/sys/fs/cgroup/cpu/$d/cpu.cfs_quota_us" &&
			CG_DIR=/sys/fs/cgroup/cpu/$d
	fi
}

# The server-bound run: the server limited to $CAP % of its core (a cpu cgroup quota, in
# slices of 10 ms) while loadgen keeps its whole core, so the server, not the generator,
# is the limit by construction. Its q/s per second of server CPU is the one-core capacity.
capped_run() {
	local name=$1 pid=$2 port=$3 out="$TMP/$1" perfpid=
	R[$name.capq]=-; R[$name.capcore]=-
	[ "$CAP" -gt 0 ] 2>/dev/null || return 0
	[ -n "$CG_DIR" ] || cap_cgroup
	if [ -z "$CG_DIR" ]; then
		log "$name: no writable cpu cgroup here; server-bound run skipped"
		return 0
	fi
	echo "$pid" > "$CG_DIR/cgroup.procs" || return 0
	log "$name: server-bound: server limited to $CAP % of CPU $SERVER_CPU, max rate, ${DUR}s"
	if [ -n "${BENCH_SERVE_PERF:-}" ] && command -v perf > /dev/null; then
		perf record -g -o "$BENCH_SERVE_PERF.$name" -p "$pid" > /dev/null 2>&1 &
		perfpid=$!
	fi
	taskset -c $CLIENT_CPU "$LOADGEN" -p "$port" -z "$ZONE" -q "$TMP/data/queries.txt" \
		-d "$DUR" -c "$SOCKETS" -i "$INFLIGHT" -P "$pid" > "$out.cap" 2>&1
	[ -n "$perfpid" ] && { kill -INT "$perfpid"; wait "$perfpid" 2>/dev/null; }
	sed 's/^/    /' "$out.cap" >&2
	R[$name.capq]=$(field "$out.cap" qps)
	R[$name.capcpu]=$(field "$out.cap" server_cpu_pct)
	R[$name.capgen]=$(field "$out.cap" cpu_pct)
	R[$name.capcore]=$(per_core "${R[$name.capq]}" "${R[$name.capcpu]}")
	local w
	w=$(field "$out.cap" wrong)
	R[$name.wrong]=$((${R[$name.wrong]:-0} + ${w:-0}))
}

# Measure one server already started as $pid on $port; $2 = name.
measure() {
	local name=$1 pid=$2 port=$3 t0=$4 out
	out="$TMP/$name"
	# Start-up: exec until the first correct answer for a listed name.
	local lg
	taskset -c $CLIENT_CPU "$LOADGEN" -w -S "$t0" -T 300 -n 1000 -p "$port" -z "$ZONE" \
		-q "$TMP/data/queries.txt" > "$out.ready" 2>&1 &
	lg=$!
	# Give up early if the server dies while we wait for it.
	while kill -0 "$lg" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || { log "$name: exited before answering"; stop_pid "$lg" 2; break; }
		sleep 0.05
	done
	wait "$lg" 2>/dev/null
	if [ "$(field "$out.ready" ready)" != 1 ]; then
		kill -0 "$pid" 2>/dev/null && log "$name: no correct answer within 300 s"
		cat "$out.ready" >&2
		R[$name.startup]=n/a
		return 1
	fi
	R[$name.startup]=$(field "$out.ready" startup_s)
	# CPU the server used until then: the start-up's own cost, whatever else the machine ran
	R[$name.startcpu]=$(awk -v t="$(cpu_ticks "$pid")" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.2f", t / hz }')
	log "$name: answering after ${R[$name.startup]} s"

	log "$name: max rate, ${DUR}s, $SOCKETS sockets x $INFLIGHT in flight"
	taskset -c $CLIENT_CPU "$LOADGEN" -p "$port" -z "$ZONE" -q "$TMP/data/queries.txt" \
		-d "$DUR" -c "$SOCKETS" -i "$INFLIGHT" -P "$pid" > "$out.max" 2>&1
	sed 's/^/    /' "$out.max" >&2
	R[$name.rss]=$(status_kb "$pid" VmRSS)
	R[$name.hwm]=$(status_kb "$pid" VmHWM)
	R[$name.qps]=$(field "$out.max" qps)
	R[$name.maxloss]=$(field "$out.max" loss_pct)
	R[$name.wrong]=$(field "$out.max" wrong)
	R[$name.gencpu]=$(field "$out.max" cpu_pct)
	R[$name.cpu]=$(field "$out.max" server_cpu_pct)
	R[$name.qcore]=$(per_core "$(field "$out.max" qps)" "${R[$name.cpu]}")

	log "$name: fixed rate $RATE q/s, ${DUR}s"
	taskset -c $CLIENT_CPU "$LOADGEN" -p "$port" -z "$ZONE" -q "$TMP/data/queries.txt" \
		-d "$DUR" -c "$SOCKETS" -r "$RATE" > "$out.rate" 2>&1
	sed 's/^/    /' "$out.rate" >&2
	R[$name.loss]=$(field "$out.rate" loss_pct)
	local w2
	w2=$(field "$out.rate" wrong)
	R[$name.wrong]=$((${R[$name.wrong]:-0} + ${w2:-0}))

	R[$name.dnsperf]=-
	if [ "$DNSPERF" = 1 ] && command -v dnsperf > /dev/null; then
		log "$name: dnsperf -l $DNSPERF_SECS"
		local c0 c1
		c0=$(cpu_ticks "$pid")
		taskset -c $CLIENT_CPU timeout $((DNSPERF_SECS + 30)) dnsperf -s 127.0.0.1 -p "$port" \
			-d "$TMP/data/dnsperf.txt" -l "$DNSPERF_SECS" -c 4 -q 128 > "$out.dnsperf" 2>&1
		c1=$(cpu_ticks "$pid")
		R[$name.dnsperf]=$(awk '/Queries per second:/ {printf "%.0f", $4}' "$out.dnsperf")
		# answers per second of server CPU: the one-core capacity when dnsperf, not the
		# server, was the limit (server CPU below 100 %)
		R[$name.dpcore]=$(awk -v t="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" \
			'/Queries completed:/ { if (t > 0) printf "%.0f", $3 / (t / hz); else printf "-" }' \
			"$out.dnsperf")
		R[$name.dpcpu]=$(awk -v t="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v d="$DNSPERF_SECS" \
			'BEGIN { printf "%.0f", 100 * t / hz / d }')
		grep -E 'Queries (sent|completed|lost)|per second' "$out.dnsperf" | sed 's/^/    /' >&2
	fi
	# last: the server stays in the limited cgroup until it is stopped
	capped_run "$name" "$pid" "$port"
	return 0
}

run_nodd() {
	if [ ! -x "$NODD" ] || [ ! -x "$NODDCTL" ]; then
		log "nodd: $NODD or $NODDCTL not built; skipped"
		return 1
	fi
	local dport hport conf pid t0 t1 rc
	read -r dport hport <<< "$(free_ports 2)"
	mkdir -p "$TMP/nodd"
	conf="$TMP/nodd/nodd.yaml"
	cat > "$conf" <<EOF
server:
  listen: [127.0.0.1@$dport]
  http: 127.0.0.1@$hport
  database: $TMP/nodd/nodd.db
  udp-threads: 1
  log-level: warning
publish:
  suffix: nod.example.
EOF
	if ! "$NODD" -c "$conf" --check-config > "$TMP/nodd/check.log" 2>&1; then
		log "nodd: config refused:"; cat "$TMP/nodd/check.log" >&2
		return 1
	fi
	log "nodd: loading $NAMES names (noddctl import)"
	"$NODD" -c "$conf" > "$TMP/nodd/load.log" 2>&1 &
	pid=$!; PIDS+=("$pid")
	local i
	for ((i = 0; i < 300; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$hport/metrics" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	t0=$(now_ns)
	# 10 minutes, or 1 s per 2,000 names for larger sets (4M took 400 s on a busy machine)
	timeout $((NAMES / 2000 > 600 ? NAMES / 2000 : 600)) "$NODDCTL" -c "$conf" import "$TMP/data/names.txt" \
		> "$TMP/nodd/import.log" 2>&1
	rc=$?
	t1=$(now_ns)
	R[nodd.import]=$(awk -v d="$((t1 - t0))" 'BEGIN { printf "%.1f", d / 1e9 }')
	R[nodd.import_rate]=$(awk -v n="$NAMES" -v d="$((t1 - t0))" 'BEGIN { printf "%.0f", n / (d / 1e9) }')
	tail -n 3 "$TMP/nodd/import.log" | sed 's/^/    /' >&2
	if [ $rc != 0 ]; then
		log "nodd: import failed (exit $rc)"; tail -n 20 "$TMP/nodd/load.log" >&2
		stop_pid "$pid" 30
		return 1
	fi
	log "nodd: import took ${R[nodd.import]} s; restarting on the same database"
	stop_pid "$pid" 60

	t0=$(now_ns)
	taskset -c $SERVER_CPU "$NODD" -c "$conf" > "$TMP/nodd/serve.log" 2>&1 &
	pid=$!; PIDS+=("$pid")
	measure nodd "$pid" "$dport" "$t0" || { tail -n 20 "$TMP/nodd/serve.log" >&2; }
	# the index's own account of its size, and the database on disk
	read -r R[nodd.memnames] R[nodd.membytes] <<< "$(curl -s "http://127.0.0.1:$hport/api/v1/status" |
		"$PY" -c 'import json,sys; s=json.load(sys.stdin); print(s["memory_names"], s["memory_bytes"])' \
		2>/dev/null)"
	R[nodd.dbbytes]=$(du -cb "$TMP/nodd/nodd.db"* 2>/dev/null | awk 'END { print $1 }')
	stop_pid "$pid" 30
	return 0
}

run_rbldnsd() {
	if [ ! -x "$RBLDNSD" ]; then
		log "rbldnsd: not installed (Debian package rbldnsd); skipped"
		return 1
	fi
	local port pid t0 user=()
	read -r port <<< "$(free_ports 1)"
	# rbldnsd refuses to run as root; it reads its data after switching to -u's user.
	if [ "$(id -u)" = 0 ]; then
		if id rbldns > /dev/null 2>&1; then user=(-u rbldns); else user=(-u nobody); fi
	fi
	chmod 755 "$TMP" "$TMP/data" "$TMP/data/rbldnsd"
	chmod 644 "$TMP/data/rbldnsd/nod.dnset"
	log "rbldnsd: loading $NAMES names (dnset)"
	t0=$(now_ns)
	# -n foreground, -f serve during reloads, -a no NS in positive answers (as nodd),
	# -c 0 no reload checks during the run, -r chroot to the data directory.
	taskset -c $SERVER_CPU "$RBLDNSD" -n -f -a -c 0 "${user[@]}" -b "127.0.0.1/$port" \
		-r "$TMP/data/rbldnsd" -w / "$ZONE:dnset:nod.dnset" > "$TMP/rbldnsd.log" 2>&1 &
	pid=$!; PIDS+=("$pid")
	measure rbldnsd "$pid" "$port" "$t0" || tail -n 20 "$TMP/rbldnsd.log" >&2
	stop_pid "$pid" 10
	return 0
}

# ---- main ----------------------------------------------------------------------------
if [ ! -x "$LOADGEN" ]; then
	# Not built by meson (tree not building yet): build it here, same flags.
	LOADGEN="$TMP/loadgen"
	log "building loadgen into $LOADGEN"
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$LOADGEN" "$HERE/loadgen.c" || exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
	SERVER_CPU=0; CLIENT_CPU=0
	log "only one CPU: server and load generator share it; figures are not comparable"
fi

log "generating $NAMES names into $TMP/data (fixed seed)"
t0=$(now_ns)
"$PY" "$HERE/gen_names.py" "$TMP/data" --count "$NAMES" --queries 1000000 || exit 1
log "generated in $(awk -v d="$(($(now_ns) - t0))" 'BEGIN { printf "%.1f", d / 1e9 }') s"

for s in $SERVERS; do
	case "$s" in
	nodd) run_nodd ;;
	rbldnsd) run_rbldnsd ;;
	*) log "unknown server $s" ;;
	esac
done

# ---- table ---------------------------------------------------------------------------
mb() { [ -n "${1:-}" ] && awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }' || echo -; }
ratio() { awk -v a="${R[nodd.$1]:-}" -v b="${R[rbldnsd.$1]:-}" \
	'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
echo
echo "nodd vs rbldnsd, $NAMES names, queries 50 % listed / 50 % unlisted, server on CPU $SERVER_CPU,"
echo "loadgen on CPU $CLIENT_CPU ($SOCKETS sockets x $INFLIGHT in flight), ${DUR} s per run, $(uname -r)"
echo
echo "serving capacity: answers per second, and per second of server CPU (q/core: utime+stime)"
printf '%-8s | %9s %8s %8s %9s | %9s %8s %8s %9s | %9s %8s %9s\n' server \
	"max q/s" "srv CPU%" "gen CPU%" "q/core" \
	"cap q/s" "srv CPU%" "gen CPU%" "q/core" \
	dnsperf "srv CPU%" "q/core"
for s in nodd rbldnsd; do
	[ -n "${R[$s.startup]:-}" ] || { printf '%-8s | %9s\n' "$s" "not run"; continue; }
	printf '%-8s | %9s %8s %8s %9s | %9s %8s %8s %9s | %9s %8s %9s\n' "$s" \
		"${R[$s.qps]:--}" "${R[$s.cpu]:--}" "${R[$s.gencpu]:--}" "${R[$s.qcore]:--}" \
		"${R[$s.capq]:--}" "${R[$s.capcpu]:--}" "${R[$s.capgen]:--}" "${R[$s.capcore]:--}" \
		"${R[$s.dnsperf]:--}" "${R[$s.dpcpu]:--}" "${R[$s.dpcore]:--}"
done
printf '%-8s | %9s %8s %8s %9s | %9s %8s %8s %9s | %9s %8s %9s\n' "ratio" \
	"$(ratio qps)" "" "" "$(ratio qcore)" "$(ratio capq)" "" "" "$(ratio capcore)" \
	"$(ratio dnsperf)" "" "$(ratio dpcore)"
echo "(max: loadgen at full speed on its own core; cap: the server held to $CAP % of its core, so"
echo " it is the limit; q/core > 1 in the ratio row: nodd answers more per second of CPU)"
echo
printf '%-8s %9s %8s %8s %8s %9s %7s\n' server "loss@$((RATE / 1000))k" "RSS MB" "HWM MB" \
	"start s" "start CPU" wrong
for s in nodd rbldnsd; do
	[ -n "${R[$s.startup]:-}" ] || { printf '%-8s %9s\n' "$s" "not run"; continue; }
	loss=${R[$s.loss]:-}
	if [ -n "$loss" ]; then loss="$loss%"; else loss=-; fi
	printf '%-8s %9s %8s %8s %8s %9s %7s\n' "$s" "$loss" "$(mb "${R[$s.rss]:-}")" \
		"$(mb "${R[$s.hwm]:-}")" "${R[$s.startup]:--}" "${R[$s.startcpu]:--}" "${R[$s.wrong]:--}"
done
[ -n "${R[nodd.import]:-}" ] && echo "nodd import of $NAMES names (noddctl import, not timed against rbldnsd): ${R[nodd.import]} s, ${R[nodd.import_rate]} names/s (goal >= 250000; tests/bench/bench_import.sh: re-import and status too)"
if [ -n "${R[nodd.membytes]:-}" ]; then
	echo "nodd index (/api/v1/status): ${R[nodd.memnames]} names in memory, ${R[nodd.membytes]} bytes" \
		"($(awk -v b="${R[nodd.membytes]}" -v n="${R[nodd.memnames]}" 'BEGIN { printf "%.1f", n ? b / n : 0 }') per name);" \
		"database on disk ${R[nodd.dbbytes]:-?} bytes"
fi
# BENCH_RESULTS=FILE: every figure above as key=value lines (tests/bench/bench_growth.py reads them)
if [ -n "${BENCH_RESULTS:-}" ]; then
	for k in "${!R[@]}"; do printf '%s=%s\n' "$k" "${R[$k]}"; done > "$BENCH_RESULTS"
fi
echo "ratio nodd/rbldnsd: RSS $(ratio rss) (<1: nodd smaller), start-up $(ratio startup) (<1: nodd faster), start-up CPU $(ratio startcpu)"
echo "serving per core (goal >= 1.3): max $(ratio qcore), server-bound $(ratio capcore), dnsperf $(ratio dpcore)"
[ -x "$BUILD/tests/bench/histbench" ] && echo "nodd IXFR history and index purge, $NAMES names a day (in process, CPU): $("$BUILD/tests/bench/histbench" "$NAMES")"

[ "${BENCH_SERVING_ONLY:-0}" = 1 ] && exit 0

# import: noddctl import of new, known and baseline names; status and /metrics at 2M names
echo
echo "[bench] import: $NAMES new names, the same again (known), $NAMES others as baseline"
BENCH_NAMES="$NAMES" bash "$(dirname "$0")/bench_import.sh" "$BUILD" || echo "[bench] import benchmark failed"

# streams: an upstream burst of 100,000 delegations in one IXFR, to kcat and a WebSocket
echo
echo "[bench] streams: upstream burst -> Kafka (kcat) and WebSocket"
NODD_BUILD="$BUILD" /usr/bin/python3 "$(dirname "$0")/bench_streams.py" || echo "[bench] streams benchmark failed"

# secondary: AXFR ingest of a .se-size zone (1,500,000 delegations) and a re-AXFR with
# 1,000 changes, nodd vs BIND as secondaries of the same NSD primary
echo
echo "[bench] secondary: AXFR ingest of ${BENCH_SECONDARY_NAMES:-1500000} delegations, nodd vs BIND"
NODD_BUILD="$BUILD" /usr/bin/python3 "$(dirname "$0")/bench_secondary.py" "${BENCH_SECONDARY_NAMES:-1500000}" ||
	echo "[bench] secondary benchmark failed"

# transfers out: AXFR of the 1M-name 24h zone, nodd vs NSD; observation -> BIND rewrite
echo
echo "[bench] transfers out: AXFR of the 24h zone (nodd vs NSD) and observation -> BIND RPZ rewrite"
bash "$(dirname "$0")/bench_xfr.sh" "$BUILD" || echo "[bench] transfers-out benchmark failed"

# Certificate Transparency: a 1M-entry local log read over RFC 6962 and static-ct-api, and
# 30 growing logs followed for BENCH_CT_MINUTES (see README.md)
echo
echo "[bench] CT: reading a local log of ${BENCH_CT_ENTRIES:-1000000} entries; ${BENCH_CT_LOGS:-30} growing logs"
NODD_BUILD="$BUILD" /usr/bin/python3 "$(dirname "$0")/bench_ct.py" || echo "[bench] CT benchmark failed"
exit 0
