/* rdap.h -- confirmation of CT candidates by their registry: a persistent, bounded queue
 * (ct/state.h) worked at rdap.rate requests a second, the RDAP server of each TLD from the
 * IANA bootstrap file (dns.json), a registry answering 429/503 left alone for what its
 * Retry-After says. The registration event within 24 h of first_seen confirms a candidate
 * (nod_confirm_ct); an older one makes it known; no date leaves it unconfirmed. Candidates
 * under a zone followed by transfer are left to the zone. Main thread only. */
#ifndef NODD_CT_RDAP_H
#define NODD_CT_RDAP_H

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>

#include "conf/config.h"
#include "ct/fetch.h"
#include "ct/state.h"
#include "policy/nod.h"

struct ct_rdap;

/* Read the bootstrap file and start the worker; everything borrowed. NULL with e set. */
struct ct_rdap *ct_rdap_start(struct event_base *base, const struct nodd_config *cfg,
	struct ct_fetch *fetch, struct ct_state *st, nod_t *nod, struct nodd_err *e);
void ct_rdap_stop(struct ct_rdap *r); /* NULL is a no-op */

/* A new candidate, inside the caller's transaction: queued unless a followed zone holds it,
 * the queue is full or r is NULL. 0 or -1. */
int ct_rdap_enqueue(struct ct_rdap *r, const char *domain, int64_t now);

/* {"queue": n, "answers": {"confirmed": n, ...}} and the nodd_rdap_* metric families. */
json_t *ct_rdap_status(struct ct_rdap *r);
void ct_rdap_metrics(struct ct_rdap *r, FILE *out);

/* The unix time of an RFC 3339 date ("2026-12-03T10:00:00Z", fraction and offset read);
 * -1 when it is not one. */
int64_t ct_rdap_date(const char *s);

#endif
