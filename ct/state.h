/* state.h -- what the CT source keeps in the store, in the tables of migration 7
 * (policy/schema.c): per log, the position with its Merkle frontier and the last verified
 * tree head; the issuance keys seen lately; the candidates; the host names already streamed.
 * Every write is part of the caller's open transaction (nod_begin), so a batch's position
 * commits with its observations and records. Main thread only; no network, no parsing. */
#ifndef NODD_CT_STATE_H
#define NODD_CT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "ct/merkle.h"
#include "ct/sth.h"
#include "lib/err.h"
#include "policy/store.h"

struct ct_state;

/* Prepare the statements on st's database (borrowed). NULL with e set on failure. */
struct ct_state *ct_state_open(store_t *st, struct nodd_err *e);
void ct_state_close(struct ct_state *s); /* NULL is a no-op */

/* A log's saved position: the frontier of the entries read (its size is the next index)
 * and the last verified tree head. 1 found, 0 never read, -1 on error or a damaged row. */
int ct_state_load(struct ct_state *s, const uint8_t log_id[32], struct ct_frontier *f,
	struct ct_sth *sth);
int ct_state_save(struct ct_state *s, const uint8_t log_id[32], const struct ct_frontier *f,
	const struct ct_sth *sth);

/* Record an issuance key: 1 when it was not seen lately, 0 when it was, -1 on error. */
int ct_state_issuance(struct ct_state *s, const uint8_t key[32]);

/* A candidate domain (first_seen fs; listed: in the zones already). 0 or -1. */
int ct_state_candidate_add(struct ct_state *s, const char *domain, int64_t fs, int listed);
/* 1 with *fs when domain is a candidate, 0 when not, -1 on error. */
int ct_state_candidate(struct ct_state *s, const char *domain, int64_t *fs);

/* A host name under a candidate: 1 when it was not streamed yet (it is recorded now), 0 when
 * it was, -1 on error. */
int ct_state_fqdn(struct ct_state *s, const char *fqdn, int64_t now);

/* Keep the newest keep issuance keys and the host names of the last 48 h. 0 or -1. */
int ct_state_prune(struct ct_state *s, int64_t now, int64_t keep);

/* The start of the learning period: set to now when CT never ran on this store. */
int ct_state_learning_start(struct ct_state *s, int64_t now, int64_t *start);

const char *ct_state_errmsg(struct ct_state *s);

#endif
