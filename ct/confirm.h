/* confirm.h -- the RDAP side of confirming CT candidates: a bounded, persistent queue
 * (table rdap_queue) of candidates whose TLD nodd does not follow by transfer, asked at
 * rdap.rate of the server the IANA bootstrap file names, with per-server backoff on 429
 * (Retry-After honoured) and a bounded number of tries. The answer's meaning is
 * policy/confirm.h's; the HTTP is ct/fetch.h's; the JSON is ct/rdap.h's. Main thread. */
#ifndef NODD_CT_CONFIRM_H
#define NODD_CT_CONFIRM_H

#include <event2/event.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "conf/config.h"
#include "lib/err.h"
#include "policy/nod.h"

struct ct_confirm;

/* Set up (with rdap.enabled: read the bootstrap file, or fetch its URL in the background,
 * and start asking). NULL with e set on failure. cfg and nod are borrowed. */
struct ct_confirm *ct_confirm_start(struct event_base *base, const struct nodd_config *cfg,
	nod_t *nod, struct nodd_err *e);
void ct_confirm_stop(struct ct_confirm *c); /* NULL is a no-op */

/* A new candidate (norm text, first_seen fs): queued for RDAP, in the caller's
 * transaction, unless RDAP is off, its TLD is followed by transfer (the zone decides) or
 * the queue is full. c may be NULL. 0, or -1 on a store failure. */
int ct_confirm_candidate(struct ct_confirm *c, const char *domain, int64_t fs);

/* The "rdap" status section and its /metrics families. */
json_t *ct_confirm_status(void *c);
void ct_confirm_metrics(void *c, FILE *out);

#endif
