/* stage.h -- a complete zone received by AXFR, held in memory until it is applied, then
 * read back in the stored copy's key order (owner, type, rdata, as sqlite's BINARY
 * collation orders them), so that the difference against the copy is a merge of two
 * sorted streams.
 *
 * Kept small (a TLD's AXFR is millions of records): the records of an owner that arrive
 * together are one group, the owner written once and, for a name under the zone, without
 * the zone's name; a record's type and length take two or three bytes, its TTL none
 * when it is the stage's first record's, and an rdata ending in the zone's name (wire
 * form) is kept without it. Only the groups are sorted; an owner's records are put in order as it is read.
 *
 * A value type: no SQL, no network, no thread of its own; one thread at a time uses it
 * (the main thread while receiving, then the apply worker, zones/applyjob.h). */
#ifndef NODD_STAGE_H
#define NODD_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "zones/changeset.h"

struct stage {
	uint8_t *buf;        /* groups: a kind byte (the owner's text is whole, under the
	                      * zone without ".zone", or the apex: empty), the text and NUL,
	                      * a count byte, then that many records: a varint type << 2 |
	                      * rdata-without-the-zone's-name << 1 | own-TTL, a varint rdata
	                      * length (as kept), the TTL (u32) when its own, the rdata */
	size_t len, cap;
	uint32_t *ix;        /* each group's offset in buf; key order once sorted */
	size_t n, ixcap;     /* groups */
	size_t records;      /* records added */
	char *dotzone;       /* "." and the zone's name (NULL: nothing is shortened) */
	size_t dzlen;
	uint8_t zwire[256];  /* the zone's name in wire form */
	size_t zwlen;        /* 0: rdata kept whole */
	char *last;          /* the owner of the open group (the last one) */
	uint32_t group;      /* the open group's offset */
	uint32_t ttl0;       /* the first record's TTL */
	int open, sorted;
};

void stage_init(struct stage *s);
/* Free everything; s is empty and may be reused. */
void stage_clear(struct stage *s);
/* Append a copy of rr (borrowed), a record of zone (text, as the owners are written; NULL
 * or the same for every record of s). 0, or -1 when memory runs out or the stage would
 * pass 4 GiB. */
int stage_add(struct stage *s, const char *zone, const struct zone_rr *rr);
/* Sort the groups into key order. 0, or -1 when memory runs out. */
int stage_sort(struct stage *s);

/* Reading a sorted stage in key order; a record equal in owner, type and rdata to an
 * earlier one is skipped (the first received stays, as an insert that ignores duplicates
 * keeps it). */
struct stage_iter {
	const struct stage *s;
	size_t g;                  /* the next group */
	struct stage_rec *rec;     /* the current owner's records, in key order */
	size_t nrec, reccap, at;
	char *owner;               /* the current owner's text */
	size_t ownercap;
	uint8_t *rd;               /* an rdata with the zone's name put back */
};
/* Begin reading s (sorted). 0, or -1 when memory runs out. */
int stage_iter_begin(const struct stage *s, struct stage_iter *it);
/* The next record: 1 with *out (a view valid until the next call), 0 after the last, -1
 * when memory runs out. */
int stage_iter_next(struct stage_iter *it, struct zone_rr *out);
void stage_iter_end(struct stage_iter *it);

/* The copy's key order: owner text bytes (the shorter first on a tie), type, rdata bytes. */
int zone_rr_key_cmp(const struct zone_rr *a, const struct zone_rr *b);

#endif
