#!/usr/bin/env bash
# make demo: the whole pipeline offline, on loopback.
#   local BIND primary (zone demo-tld., TSIG hmac-sha512, NOTIFY) -> nodd (secondary)
#   -> nsupdate adds delegations -> dig shows them in the DNSBL and RPZ zones
#   -> kcat shows the stream records from a librdkafka mock cluster
# Everything started here is stopped by PID on exit.
set -euo pipefail
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
NODD="$BUILD/daemon/nodd"
MOCK="$BUILD/tests/tools/kafka_mock"
[ -x "$NODD" ] && [ -x "$MOCK" ] || { echo "build first: ninja -C $BUILD" >&2; exit 1; }
DIR=$(mktemp -d /tmp/nodd-demo.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM

freeport() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NAMED_PORT=$(freeport); NODD_PORT=$(freeport); HTTP_PORT=$(freeport)
SECRET=$(head -c 64 /dev/urandom | base64 -w0)
ZONE=demo-tld

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "BIND primary for $ZONE. on 127.0.0.1@$NAMED_PORT (TSIG hmac-sha512, NOTIFY to nodd)"
cat > "$DIR/db.zone" <<ZONEFILE
\$TTL 300
@ IN SOA ns1.$ZONE. hostmaster.$ZONE. 1 60 60 3600 60
@ IN NS ns1.$ZONE.
ns1 IN A 127.0.0.1
existing IN NS ns1.$ZONE.
ZONEFILE
cat > "$DIR/named.conf" <<CONF
key "demo" { algorithm hmac-sha512; secret "$SECRET"; };
options { directory "$DIR"; pid-file "$DIR/named.pid"; listen-on port $NAMED_PORT { 127.0.0.1; };
  listen-on-v6 { none; }; recursion no; notify explicit; notify-delay 0;
  also-notify { 127.0.0.1 port $NODD_PORT key demo; }; max-ixfr-ratio unlimited; };
zone "$ZONE" { type primary; file "$DIR/db.zone"; allow-update { key demo; }; allow-transfer { key demo; }; };
CONF
/usr/sbin/named -g -n 1 -c "$DIR/named.conf" $( [ "$(id -u)" = 0 ] && echo -u root ) > "$DIR/named.log" 2>&1 &
PIDS+=($!)

say "Kafka: librdkafka mock cluster"
coproc MOCKP { "$MOCK" -t zone_diff,newly_registered_domain; }
PIDS+=($MOCKP_PID)
read -r line <&"${MOCKP[0]}"
BOOT=${line#bootstrap=}
echo "bootstrap $BOOT"

say "nodd on 127.0.0.1@$NODD_PORT, API on 127.0.0.1@$HTTP_PORT, following $ZONE."
cat > "$DIR/nodd.yaml" <<CONF
server:
  listen: [127.0.0.1@$NODD_PORT]
  http: 127.0.0.1@$HTTP_PORT
  database: $DIR/nodd.db
publish:
  suffix: nod.example.
  min-interval: 1s
keys:
  - name: demo
    algorithm: hmac-sha512
    secret: "$SECRET"
upstreams:
  - zone: $ZONE.
    primaries: [127.0.0.1@$NAMED_PORT]
    key: demo
kafka:
  brokers: $BOOT
CONF
"$NODD" -c "$DIR/nodd.yaml" > "$DIR/nodd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do
	curl -sf "http://127.0.0.1:$HTTP_PORT/api/v1/status" | grep -q '"have_copy": *true' && break
	sleep 0.2
done
grep -E "upstream|serving" "$DIR/nodd.log" | sed 's/^[^ ]* //'

say "nsupdate: two new delegations in $ZONE."
nsupdate -y "hmac-sha512:demo:$SECRET" <<UPD
server 127.0.0.1 $NAMED_PORT
zone $ZONE
update add shiny-new-shop.$ZONE. 300 NS ns1.$ZONE.
update add another-fresh-name.$ZONE. 300 NS ns1.$ZONE.
send
UPD
sleep 2

for q in "shiny-new-shop.$ZONE.v1.bl.nod.example A" "shiny-new-shop.$ZONE.v1.bl.nod.example TXT" \
	"mail.another-fresh-name.$ZONE.v1.bl.nod.example A" "existing.$ZONE.v1.bl.nod.example A" \
	"www.shiny-new-shop.$ZONE.5m.rpz.nod.example A"; do
	say "dig $q"
	dig @127.0.0.1 -p "$NODD_PORT" $q +norec +noall +answer +comments | grep -E "status|IN" || true
done

say "kcat -C newly_registered_domain"
kcat -b "$BOOT" -C -t newly_registered_domain -o beginning -e -q -f 'key=%k %h %s\n'
say "kcat -C zone_diff"
kcat -b "$BOOT" -C -t zone_diff -o beginning -e -q -f 'key=%k %h %s\n'
say "nodd log"
sed 's/^[^ ]* //' "$DIR/nodd.log" | grep -v "^$" | tail -8
