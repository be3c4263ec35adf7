#!/bin/sh
# nod-sync: mirror nodd's files and have BIND reload the RPZ zones it serves from them.
# From cron, e.g. /etc/cron.d/nod-sync:
#   * * * * * bind /usr/local/bin/nod-sync
# flock -n: a run that finds the previous one still going exits at once instead of
# piling up behind it.
set -eu
SRC=${NOD_SRC:-nod@nodd-host:/}
DEST=${NOD_DEST:-/var/lib/bind/dns-nod}
ZONES=${NOD_ZONES:-"5m.rpz.dns-nod.net 24h.rpz.dns-nod.net"}
LOCK=${NOD_LOCK:-/run/lock/nod-sync.lock}
RNDC=${NOD_RNDC:-rndc}

exec 9>"$LOCK"
flock -n 9 || exit 0
rsync -a --delay-updates "$SRC" "$DEST/"
for zone in $ZONES; do
    $RNDC reload "$zone"
done
