/* changeset.h -- one change of an upstream zone, the shape every transfer ends in: an
 * IXFR difference (zones/ixfr.c) and the difference of two AXFR copies (zones/axfrdiff.c)
 * both become a changeset, and zones/apply.c applies it to the stored copy and observes
 * each change. Owns its records; knows neither sqlite nor the network.
 * A value type: no SQL, no network. */
#ifndef NODD_CHANGESET_H
#define NODD_CHANGESET_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* One record as the stored copy keeps it: owner as norm text (lowercase, no trailing dot,
 * "" for the root, \DDD escapes as ldns writes them), type, TTL and canonical rdata wire
 * (RFC 4034 6.2: names in rdata lowercased, uncompressed). As a parameter it is a view:
 * the pointers are borrowed. Inside a changeset, owner and rd share one allocation. */
struct zone_rr {
	const char *owner;
	uint16_t type;
	uint32_t ttl;
	const uint8_t *rd;
	size_t rdlen;
};

struct zone_rr_list {
	struct zone_rr *v;
	size_t n, cap;
};

/* removed are applied first, then added, then the SOA step: when soa_to is set (an IXFR
 * difference), the held SOA soa_from is replaced by soa_to without being counted as a
 * change. The difference of two AXFR copies carries the SOA like any other record, in
 * removed and added, and leaves the SOA step empty. */
struct changeset {
	uint32_t serial_from, serial_to;
	struct zone_rr soa_from, soa_to;   /* owned; type 0 when not set */
	struct zone_rr_list removed, added;
};

void changeset_init(struct changeset *cs);
/* Frees every record; cs is empty and may be reused (changeset_init not needed). */
void changeset_deinit(struct changeset *cs);

/* Append a copy of rr (borrowed) to list. 0, or -1 with e set (out of memory). */
int changeset_push(struct zone_rr_list *list, const struct zone_rr *rr, struct nodd_err *e);
/* Set the SOA step's record (*slot is cs->soa_from or cs->soa_to) to a copy of rr. */
int changeset_set_soa(struct zone_rr *slot, const struct zone_rr *rr, struct nodd_err *e);

/* A copy of rr in one allocation (free((void *)copy->owner)). 0, or -1 with e set. */
int zone_rr_copy(struct zone_rr *copy, const struct zone_rr *rr, struct nodd_err *e);

#endif
