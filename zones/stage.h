/* stage.h -- a complete zone received by AXFR, held in memory until it is applied: records
 * packed one after another in one buffer as they arrive (an owner repeated from the
 * record before is kept once: a zone sends each owner's records together), then sorted once into the stored
 * copy's key order (owner, type, rdata, as sqlite's BINARY collation orders them), so that
 * the difference against the copy is a merge of two sorted streams.
 *
 * A value type: no SQL, no network, no thread of its own; one thread at a time uses it
 * (the main thread while receiving, then the apply worker, zones/applyjob.h). */
#ifndef NODD_STAGE_H
#define NODD_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "zones/changeset.h"

struct stage {
	uint8_t *buf;        /* records: rdlen u16, type u16, ttl u32, the owner, rdata; the
	                      * owner is a tag byte, then its text and NUL (tag 0), or (tag 1)
	                      * the u32 offset of the record before whose owner it repeats */
	size_t len, cap;
	uint32_t last;       /* the record holding the last owner's text */
	int have_last;
	uint32_t *ix;        /* each record's offset in buf; key order once sorted */
	size_t n, ixcap;
	int sorted;
};

void stage_init(struct stage *s);
/* Free everything; s is empty and may be reused. */
void stage_clear(struct stage *s);
/* Append a copy of rr (borrowed). 0, or -1 when memory runs out or the stage would pass
 * 4 GiB. */
int stage_add(struct stage *s, const struct zone_rr *rr);
/* Sort into key order and drop a record equal in owner, type and rdata to an earlier one
 * (the first received stays, as an insert that ignores duplicates keeps it). 0, or -1
 * when memory runs out. */
int stage_sort(struct stage *s);
/* The i-th record (i < s->n): a view into s, valid until s changes. */
void stage_get(const struct stage *s, size_t i, struct zone_rr *out);

/* The copy's key order: owner text bytes (the shorter first on a tie), type, rdata bytes. */
int zone_rr_key_cmp(const struct zone_rr *a, const struct zone_rr *b);

#endif
