#!/bin/bash
# bench_xfr.sh -- `make bench`, transfers out: AXFR of a 1M-name 24h zone from nodd vs NSD serving nodd's own exported file, and observation -> BIND RPZ rewrite latency.
#
# usage: tests/bench/bench_xfr.sh [BUILD_DIR]     (default: build)
#
# What it does, in one run, on 127.0.0.1 and ports the kernel picks, stopping everything it
# started by PID (also on Ctrl-C):
#  1. XFR_NAMES names (fixed seed, first_seen 0..20 h ago, so all stay in the 24h window for
#     the whole run) imported into nodd with noddctl; nodd restarted on the same database,
#     which writes its files (files.dir) at start: rpz/24h.rpz.nod.example.zone holds every
#     name as "name CNAME ." and "*.name CNAME ." (2 records per name).
#  2. NSD 4 loads that file. nodd and NSD (one at a time, pinned to CPU 0) each send the
#     zone XFR_RUNS times to kdig (pinned to CPU 1), unsigned and TSIG-signed (hmac-sha256).
#     Printed: wall time (best and median), records and bytes (kdig's count), and the CPU
#     the server used for the transfer. kdig parsing 2M records is a large part of the wall
#     time, so the server CPU column is the fairer comparison; the ratio line gives both.
#  3. BIND 9 as an RPZ consumer of nodd's 5m zone (TSIG, NOTIFY, min-update-interval 5,
#     as docs/consumers.md): XFR_SAMPLES observations, one at a time, 6-9 s apart; for each
#     the time from the POST to BIND answering NXDOMAIN for the name (polled every 20 ms).
#     This is nodd's version pacing (transfer.min-interval) + NOTIFY + SOA query + IXFR +
#     BIND's RPZ summary update, which BIND defers to once per min-update-interval: with
#     names ageing out of the 5m window there is a new version every second, so BIND is
#     always inside its 5 s interval and the latency is spread over about 1-6 s.
#
# Environment: XFR_NAMES (1000000), XFR_RUNS (3 AXFRs per server and mode), XFR_SAMPLES
# (8 latency samples), XFR_MIN_INTERVAL (nodd transfer.min-interval, 1s), XFR_KEEP (1 = keep
# the temp dir). Needs kdig, dig, curl, taskset; nsd and named are optional (their part is
# skipped). Takes about 4 minutes for 1M names (2 of them the import). Exits 0 whenever the
# harness itself worked, whatever the numbers.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${1:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
PY=/usr/bin/python3

NAMES=${XFR_NAMES:-1000000}
RUNS=${XFR_RUNS:-3}
SAMPLES=${XFR_SAMPLES:-8}
MIN_INTERVAL=${XFR_MIN_INTERVAL:-1s}
SUFFIX=nod.example
Z24=24h.rpz.$SUFFIX
Z5=5m.rpz.$SUFFIX
KEY=nod-xfr
SECRET=$(printf 'nodd xfr benchmark key, 32 bytes' | base64)
SERVER_CPU=0
CLIENT_CPU=1

NODD="$BUILD/daemon/nodd"
NODDCTL="$BUILD/ctl/noddctl"
NSD=$(command -v nsd || echo /usr/sbin/nsd)
NAMED=/usr/sbin/named

TMP=$(mktemp -d /tmp/nodd-bench-xfr.XXXXXX) || exit 1
PIDS=()

log() { printf '[bench xfr] %s\n' "$*" >&2; }
now_ns() { date +%s%N; }
secs() { awk -v d="$1" 'BEGIN { printf "%.2f", d / 1e9 }'; }

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
	for p in "${PIDS[@]}"; do stop_pid "$p" 10; done
	if [ "${XFR_KEEP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# N ports on 127.0.0.1 free for both UDP and TCP: the kernel picks them (bind port 0).
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

# SOA serial of zone $2 at port $1, or nothing.
serial_of() {
	dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" "$2" SOA 2>/dev/null | awk '{print $3}'
}

# Wait up to $3 s for port $1 to answer zone $2's SOA; $4 = PID that must stay alive.
wait_soa() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ -n "$(serial_of "$1" "$2")" ] && return 0
		kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

for prog in "$NODD" "$NODDCTL"; do
	[ -x "$prog" ] || { log "$prog is not built; skipped"; exit 0; }
done
for prog in kdig dig curl taskset; do
	command -v $prog > /dev/null || { log "$prog is not installed; skipped"; exit 0; }
done

read -r NPORT HPORT SPORT BPORT <<< "$(free_ports 4)"

# ---- data: 1M names, all inside the 24h window for the whole run (ages 0..20 h) -------
log "generating $NAMES names"
mkdir -p "$TMP/data" "$TMP/nodd/files" "$TMP/nsd" "$TMP/bind"
"$PY" - "$TMP/data/names.txt" "$NAMES" "$HERE" <<'EOF' || { log "generator failed"; exit 0; }
import random, sys, time
sys.path.insert(0, sys.argv[3])
from gen_names import LETTERS, TLDS, PSL_FILE, load_psl, is_public_suffix
count, now, rng, psl = int(sys.argv[2]), int(time.time()), random.Random(20240607), load_psl(PSL_FILE)
names = {}
while len(names) < count:
    n = "".join(rng.choices(LETTERS, k=rng.randint(6, 14))) + "." + rng.choice(TLDS)
    if n not in names and not is_public_suffix(n, psl):
        names[n] = now - rng.randrange(0, 72000)
with open(sys.argv[1], "w") as f:
    f.writelines("%s %d\n" % kv for kv in names.items())
EOF

# ---- nodd: import, then restart so the files written at start hold every name ---------
cat > "$TMP/nodd/nodd.yaml" <<EOF
server:
  listen: [127.0.0.1@$NPORT]
  http: 127.0.0.1@$HPORT
  database: $TMP/nodd/nodd.db
  udp-threads: 1
  log-level: warning
publish:
  suffix: $SUFFIX.
keys:
  - name: $KEY
    algorithm: hmac-sha256
    secret: "$SECRET"
transfer:
  allow:
    - key: $KEY
    - address: 127.0.0.1/32
  notify:
    - address: 127.0.0.1@$BPORT
      key: $KEY
  min-interval: $MIN_INTERVAL
files:
  dir: $TMP/nodd/files
  interval: 86400s
EOF
if ! "$NODD" -c "$TMP/nodd/nodd.yaml" --check-config > "$TMP/nodd/check.log" 2>&1; then
	log "nodd: config refused:"; cat "$TMP/nodd/check.log" >&2; exit 0
fi

start_nodd() {
	taskset -c $SERVER_CPU "$NODD" -c "$TMP/nodd/nodd.yaml" >> "$TMP/nodd/nodd.log" 2>&1 &
	NODD_PID=$!; PIDS+=("$NODD_PID")
	wait_soa "$NPORT" "$Z24" 120 "$NODD_PID" || { log "nodd did not start"; tail -n 20 "$TMP/nodd/nodd.log" >&2; exit 0; }
	local i
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null "http://127.0.0.1:$HPORT/api/v1/status" && break
		sleep 0.1
	done
}

start_nodd
log "nodd: importing $NAMES names (noddctl import)"
t0=$(now_ns)
if ! timeout 900 "$NODDCTL" -c "$TMP/nodd/nodd.yaml" import "$TMP/data/names.txt" > "$TMP/nodd/import.log" 2>&1; then
	log "nodd: import failed"; tail -n 5 "$TMP/nodd/import.log" >&2; exit 0
fi
log "nodd: import took $(secs $(($(now_ns) - t0))) s; restarting on the same database"
stop_pid "$NODD_PID" 60
t0=$(now_ns)
start_nodd
NODD_START=$(secs $(($(now_ns) - t0)))
ZONEFILE="$TMP/nodd/files/rpz/$Z24.zone"
[ -s "$ZONEFILE" ] || { log "nodd wrote no $ZONEFILE"; exit 0; }
NODD_RSS=$(awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' /proc/$NODD_PID/status)
log "nodd: serving after $NODD_START s (files written), RSS $NODD_RSS MB"
ZONE_RRS=$(grep -c 'CNAME' "$ZONEFILE")
log "exported $Z24: $ZONE_RRS CNAME records"

# ---- NSD serving nodd's exported file ------------------------------------------------
NSD_OK=0
if [ -x "$NSD" ]; then
	cat > "$TMP/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$SPORT
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$TMP/nsd"
    pidfile: "$TMP/nsd/nsd.pid"
    database: ""
    xfrdfile: "$TMP/nsd/xfrd.state"
    zonelistfile: "$TMP/nsd/zone.list"
    xfrdir: "$TMP/nsd"
    logfile: "$TMP/nsd/nsd.log"
    server-count: 1
    tcp-count: 10
    verbosity: 1
remote-control:
    control-enable: no
key:
    name: $KEY
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
    name: $Z24
    zonefile: "$ZONEFILE"
    provide-xfr: 127.0.0.1 NOKEY
    provide-xfr: 127.0.0.1 $KEY
EOF
	t0=$(now_ns)
	taskset -c $SERVER_CPU "$NSD" -d -c "$TMP/nsd/nsd.conf" > "$TMP/nsd/stdout.log" 2>&1 &
	NSD_PID=$!; PIDS+=("$NSD_PID")
	if wait_soa "$SPORT" "$Z24" 300 "$NSD_PID"; then
		NSD_OK=1
		log "nsd: serving after $(secs $(($(now_ns) - t0))) s"
	else
		log "nsd did not start"; tail -n 20 "$TMP/nsd/nsd.log" "$TMP/nsd/stdout.log" >&2
	fi
else
	log "nsd is not installed (Debian: nsd); nodd only"
fi

# CPU time (clock ticks, user + system, all threads, plus that of reaped children) of the
# processes in SRV_PIDS and all their descendants: NSD sends each AXFR from a process it
# forks for it, whose time shows up in its parent's cutime/cstime once reaped.
HZ=$(getconf CLK_TCK)
tree() { local p; for p in "$@"; do echo "$p"; tree $(pgrep -P "$p"); done; }
cpu_ticks() {
	local c sum=0
	for c in $(tree $SRV_PIDS); do
		sum=$((sum + $(awk '{print $14 + $15 + $16 + $17}' "/proc/$c/stat" 2>/dev/null || echo 0)))
	done
	echo $sum
}

# A client that does not parse records: it reads the length-prefixed messages and adds up
# their ANCOUNT until it has $3 records, so its time is bounded by the server, not by the
# client. Usage: drain.py PORT ZONE RECORDS; prints "seconds records bytes".
cat > "$TMP/drain.py" <<'EOF2'
import socket, struct, sys, time
import dns.message
port, zone, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
q = dns.message.make_query(zone, "AXFR").to_wire()
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.sendall(struct.pack("!H", len(q)) + q)
buf, n, total = bytearray(), 0, 0
while n < want:
    chunk = s.recv(1 << 20)
    if not chunk:
        break
    buf += chunk
    total += len(chunk)
    off = 0
    while len(buf) - off >= 14:
        ln = struct.unpack_from("!H", buf, off)[0]
        if len(buf) - off < ln + 2:
            break
        n += struct.unpack_from("!H", buf, off + 8)[0]
        off += ln + 2
    del buf[:off]
t = time.monotonic() - t0
s.close()
print("%.2f %d %d" % (t, n, total))
EOF2

# One timed AXFR: port $1, extra kdig args after. Prints "seconds records bytes cpu_s".
axfr_once() {
	local port=$1 t0 t1 out c0 c1
	shift
	out="$TMP/axfr.out"
	c0=$(cpu_ticks)
	t0=$(now_ns)
	taskset -c $CLIENT_CPU kdig @127.0.0.1 -p "$port" "$Z24" AXFR +noall +stats "$@" > "$out" 2>&1
	t1=$(now_ns)
	sleep 0.5   # NSD's transfer process is reaped
	c1=$(cpu_ticks)
	# kdig: ";; Received 71234567 B (4321 messages, 2000002 records)"
	local rec bytes
	rec=$(sed -n 's/.*Received \([0-9]*\) B (\([0-9]*\) messages, \([0-9]*\) records).*/\3/p' "$out")
	bytes=$(sed -n 's/.*Received \([0-9]*\) B (.*/\1/p' "$out")
	if grep -qi 'failed\|error\|refused' "$out"; then
		sed 's/^/    /' "$out" | head -n 5 >&2
	fi
	echo "$(secs $((t1 - t0))) ${rec:-0} ${bytes:-0} $(awk -v t=$((c1 - c0)) -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }')"
}

declare -A R
# best and median of RUNS AXFRs: R[$name.best], R[$name.median], R[$name.records], R[$name.bytes]
axfr_series() {
	local name=$1 port=$2 i line times=() cpus=()
	shift 2
	for ((i = 0; i < RUNS; i++)); do
		line=$(axfr_once "$port" "$@")
		read -r t rec bytes cpu <<< "$line"
		log "$name: AXFR $((i + 1))/$RUNS: $t s, $rec records, $bytes bytes, server CPU $cpu s"
		times+=("$t")
		cpus+=("$cpu")
		R[$name.records]=$rec
		R[$name.bytes]=$bytes
	done
	R[$name.best]=$(printf '%s\n' "${times[@]}" | sort -g | head -n 1)
	R[$name.median]=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
	R[$name.cpu]=$(printf '%s\n' "${cpus[@]}" | sort -g | head -n 1)
}

SRV_PIDS=$NODD_PID
# best of RUNS drains: R[$name.drain]
drain_series() {
	local name=$1 port=$2 i t rec bytes times=()
	for ((i = 0; i < RUNS; i++)); do
		read -r t rec bytes <<< "$(taskset -c $CLIENT_CPU "$PY" "$TMP/drain.py" "$port" "$Z24" "${R[nodd.records]:-0}")"
		log "$name: AXFR $((i + 1))/$RUNS, drained without parsing: $t s, $rec records, $bytes bytes"
		[ "$rec" = "${R[nodd.records]:-x}" ] && times+=("$t")
	done
	[ ${#times[@]} -gt 0 ] && R[$name.drain]=$(printf '%s\n' "${times[@]}" | sort -g | head -n 1)
}

axfr_series nodd "$NPORT"
axfr_series nodd-tsig "$NPORT" -y "hmac-sha256:$KEY:$SECRET"
drain_series nodd "$NPORT"
if [ $NSD_OK = 1 ]; then
	SRV_PIDS=$NSD_PID
	axfr_series nsd "$SPORT"
	axfr_series nsd-tsig "$SPORT" -y "hmac-sha256:$KEY:$SECRET"
	drain_series nsd "$SPORT"
	NSD_RSS=$(awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' /proc/$NSD_PID/status 2>/dev/null)
	# nsd -d forks its server and xfrd processes: add their RSS
	for c in $(pgrep -P "$NSD_PID"); do
		NSD_RSS=$((NSD_RSS + $(awk '$1 == "VmRSS:" {printf "%.0f", $2 / 1024}' /proc/$c/status 2>/dev/null || echo 0)))
	done
	stop_pid "$NSD_PID" 20
fi

# ---- observation -> BIND rewriting the name (NOTIFY -> IXFR -> applied) ----------------
LAT_OK=0
if [ -x "$NAMED" ]; then
	cat > "$TMP/bind/root.db" <<EOF
\$TTL 60
@ IN SOA a.root. h.root. 1 60 60 3600 60
@ IN NS a.root.
a.root. IN A 127.0.0.1
*.nodtld. IN A 192.0.2.1
EOF
	cat > "$TMP/bind/named.conf" <<EOF
key "$KEY" { algorithm hmac-sha256; secret "$SECRET"; };
options {
    directory "$TMP/bind"; pid-file "$TMP/bind/named.pid";
    listen-on port $BPORT { 127.0.0.1; }; listen-on-v6 { none; };
    recursion yes; allow-recursion { 127.0.0.0/8; }; dnssec-validation no; notify no;
    response-policy { zone "$Z5" log yes; }
        qname-wait-recurse no max-policy-ttl 60 min-update-interval 5;
};
zone "." { type primary; file "$TMP/bind/root.db"; };
zone "$Z5" { type secondary; file "$TMP/bind/$Z5.db";
    primaries port $NPORT { 127.0.0.1 key $KEY; }; allow-notify { key $KEY; }; };
EOF
	args=(-g -n 1 -c "$TMP/bind/named.conf")
	[ "$(id -u)" = 0 ] && args+=(-u root)
	"$NAMED" "${args[@]}" > "$TMP/bind/named.log" 2>&1 &
	BIND_PID=$!; PIDS+=("$BIND_PID")
	for ((i = 0; i < 300; i++)); do
		grep -q "zone $Z5/IN: transferred serial" "$TMP/bind/named.log" && break
		kill -0 "$BIND_PID" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q "zone $Z5/IN: transferred serial" "$TMP/bind/named.log"; then
		log "bind: first transfer of $Z5 done; $SAMPLES samples"
		"$PY" - "$BPORT" "$HPORT" "$SAMPLES" "$TMP/nodd/nodd.db.token" > "$TMP/bind/latency.txt" <<'EOF' && LAT_OK=1
# One observation at a time; time until BIND answers NXDOMAIN for it (polled every 20 ms).
# Samples are 6-9 s apart, so they fall at different moments of BIND's 5 s
# min-update-interval, which nodd's versions (one per second while names age out) keep busy.
import json, random, socket, struct, sys, time, urllib.request
import dns.message, dns.query, dns.rcode
bport, hport, samples = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
token = open(sys.argv[4]).read().strip()   # the token nodd made next to its database
rng = random.Random(7)
out = []
for i in range(samples):
    name = "lat%d-%d.nodtld" % (i, int(time.time()))
    before = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=bport, timeout=3)
    assert before.rcode() == dns.rcode.NOERROR, before
    body = json.dumps({"domain": name}).encode()
    req = urllib.request.Request("http://127.0.0.1:%d/api/v1/observations" % hport, data=body,
                                 method="POST", headers={"Content-Type": "application/json",
                                                          "Authorization": "Bearer " + token})
    t0 = time.monotonic()
    urllib.request.urlopen(req, timeout=10).read()
    deadline = t0 + 60
    took = None
    while time.monotonic() < deadline:
        r = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=bport, timeout=3)
        if r.rcode() == dns.rcode.NXDOMAIN:
            took = time.monotonic() - t0
            break
        time.sleep(0.02)
    out.append(took)
    print("sample %d %s" % (i, "%.2f" % took if took is not None else "timeout"), flush=True)
    time.sleep(rng.uniform(6, 9))
ok = sorted(t for t in out if t is not None)
if ok:
    print("result min=%.2f median=%.2f max=%.2f n=%d timeouts=%d"
          % (ok[0], ok[len(ok) // 2], ok[-1], len(ok), len(out) - len(ok)))
EOF
		sed 's/^/    /' "$TMP/bind/latency.txt" >&2
		IXFRS=$(grep -c "Transfer status: success" "$TMP/bind/named.log")
		JNL=no; [ -e "$TMP/bind/$Z5.db.jnl" ] && JNL=yes
	else
		log "bind: no transfer of $Z5"; tail -n 30 "$TMP/bind/named.log" >&2
	fi
	stop_pid "$BIND_PID" 20
else
	log "named is not installed (Debian: bind9); no latency figures"
fi

# ---- table ---------------------------------------------------------------------------
ratio() { awk -v a="${R[$1.${3:-best}]:-}" -v b="${R[$2.${3:-best}]:-}" \
	'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
rate() { awk -v r="${R[$1.records]:-0}" -v t="${R[$1.best]:-0}" \
	'BEGIN { if (t > 0) printf "%.0f", r / t / 1000; else printf "-" }'; }
echo
echo "AXFR of $Z24 ($NAMES names, $ZONE_RRS CNAME records) with kdig on CPU $CLIENT_CPU,"
echo "server on CPU $SERVER_CPU, best and median of $RUNS, $(uname -r)"
printf '%-10s %8s %8s %10s %12s %10s %9s %8s\n' server "best s" "median s" records "bytes" "k rec/s" "srv CPU s" "drain s"
for s in nodd nodd-tsig nsd nsd-tsig; do
	[ -n "${R[$s.best]:-}" ] || { printf '%-10s %8s\n' "$s" "not run"; continue; }
	printf '%-10s %8s %8s %10s %12s %10s %9s %8s\n' "$s" "${R[$s.best]}" "${R[$s.median]}" \
		"${R[$s.records]}" "${R[$s.bytes]}" "$(rate "$s")" "${R[$s.cpu]}" "${R[$s.drain]:--}"
done
echo "ratio nodd/nsd (<1: nodd faster): kdig AXFR time unsigned $(ratio nodd nsd), TSIG $(ratio nodd-tsig nsd-tsig);" \
	"server CPU unsigned $(ratio nodd nsd cpu), TSIG $(ratio nodd-tsig nsd-tsig cpu); drained without parsing $(ratio nodd nsd drain)"
echo "(kdig's time is mostly kdig parsing 2M records on its own core; 'drain s' reads the same stream without parsing it)"
want=$((ZONE_RRS + 3)) # SOA, NS, the records, SOA
for s in nodd nodd-tsig nsd nsd-tsig; do
	[ -n "${R[$s.records]:-}" ] && [ "${R[$s.records]}" != "$want" ] &&
		echo "WARNING: $s sent ${R[$s.records]} records, the exported file has $want: the AXFR and the file differ"
done
echo "nodd: start-up with $NAMES names and the eight files written ${NODD_START} s, RSS ${NODD_RSS} MB; nsd RSS ${NSD_RSS:--} MB"
if [ $LAT_OK = 1 ]; then
	echo "observation -> BIND rewrites it (nodd min-interval $MIN_INTERVAL, BIND min-update-interval 5):" \
		"$(sed -n 's/^result //p' "$TMP/bind/latency.txt") s; BIND transfers ${IXFRS:-?}, journal (IXFR) $JNL"
else
	echo "observation -> BIND rewrite: not measured"
fi
exit 0
