/* secondary.h -- nodd as a secondary for upstream zones: SOA probe, IXFR/AXFR with TSIG,
 * NOTIFY in; every applied transfer becomes observations and zone_diff records in one
 * store transaction. The one header the rest of nodd includes from zones/ (the parts:
 * upstream.c life cycle and refresh, xfrclient.c the exchange with a primary, copy.c the
 * stored copy, ixfr.c/axfrdiff.c the changesets, apply.c the transaction and the
 * observations, notifyin.c NOTIFY in, notifygate.c its wake and pace). Main thread,
 * except the NOTIFY hook (thread-safe). Never includes the server: the daemon hands the
 * NOTIFY handler to the query dispatcher. */
#ifndef NODD_SECONDARY_H
#define NODD_SECONDARY_H

#include <event2/event.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf/config.h"
#include "lib/err.h"
#include "lib/tsig.h"
#include "policy/nod.h"
#include "policy/outbox.h"

struct secondary;

/* cfg, nod, ob, kr are borrowed and must outlive the secondary. Addresses among the
 * primaries are taken at once, host names looked up without blocking (evdns). NULL
 * without upstreams, or NULL with e on failure. */
struct secondary *secondary_start(struct event_base *base, const struct nodd_config *cfg,
	nod_t *nod, outbox_t *ob, const struct tsig_keyring *kr, struct nodd_err *e);
void secondary_stop(struct secondary *s); /* NULL is a no-op */

/* A reload's keys (borrowed; every upstream's key name present): the next transfer and
 * NOTIFY check use them; a transfer in progress finishes with the key it began with, so
 * the previous keyring must stay alive until the process ends. Main thread. */
void secondary_set_keys(struct secondary *s, const struct tsig_keyring *kr);

/* Per upstream status for GET /api/v1/status (a new array; caller decrefs). */
json_t *secondary_status(struct secondary *s);

/* The status of the upstream zone named zone (norm text, "" for the root), the object
 * secondary_status gives for it; NULL when zone is not an upstream. New reference. */
json_t *secondary_zone_status(struct secondary *s, const char *zone);

/* Control of one upstream zone (zone as above), as rndc refresh / retransfer. */
enum secondary_kick {
	SECONDARY_REFRESH,     /* an SOA query now; a transfer when the serial is newer */
	SECONDARY_RETRANSFER,  /* a full AXFR now, even when the serial is current; every
	                        * attempt is an AXFR until one is applied */
};
/* Start it now: 1; or, while an exchange runs, once that one ends: 0; -1 when zone is
 * not an upstream. Main thread. */
int secondary_kick(struct secondary *s, const char *zone, enum secondary_kick what);

/* Prometheus lines for /metrics, appended to f. */
void secondary_metrics(struct secondary *s, FILE *f);

/* The NOTIFY handler the daemon registers with server/query.c (query_set_notify): answer
 * a NOTIFY for one of our upstream zones from one of its primaries (a signed one must
 * verify with the upstream's key; an unsigned one is taken unless notify-key: required)
 * and mark its refresh; the main loop wakes at once, once per burst,
 * and probes at the pace of upstreams.notify-min-interval. Called from the UDP threads;
 * takes no lock and makes no libevent call. */
size_t secondary_notify(void *ctx, const uint8_t *q, size_t qlen, const struct sockaddr *peer,
	socklen_t peerlen, uint8_t *out, size_t outcap);

#endif
