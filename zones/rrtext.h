/* rrtext.h -- the one place zones/ converts records between ldns and the stored copy's
 * form (struct zone_rr): a parsed answer record to the copy's form, and a stored record
 * to presentation text for zone_diff records and error messages.
 * No SQL, no network; the rest of zones/ never calls ldns to convert a record. */
#ifndef NODD_RRTEXT_H
#define NODD_RRTEXT_H

#include <ldns/ldns.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dname.h"
#include "policy/outbox.h"
#include "zones/changeset.h"

/* Room for an owner in the copy's text form (\DDD escapes included). */
#define RRTEXT_OWNER_MAX (DNAME_MAX_TEXT * 4 + 8)

/* rr (a record of a parsed message) as the copy keeps it: rr is canonicalised in place,
 * the owner text is written to owner (RRTEXT_OWNER_MAX bytes), the rdata to *buf (grown
 * with realloc as needed; *buf and *cap owned by the caller). out views owner and *buf.
 * 0, or -1 when the owner cannot be written or memory runs out. */
int rrtext_from_ldns(ldns_rr *rr, char *owner, uint8_t **buf, size_t *cap, struct zone_rr *out);

/* rr as one presentation line ("x.nodtest.\t60\tIN\tNS\tns1.nodtest.\n"); caller frees.
 * NULL when ldns cannot read it back. */
char *rrtext_line(const struct zone_rr *rr);

/* Append rr's zone_diff record to ob (policy/record.c) with the serials of the transfer
 * and its commit time in milliseconds. 0 or -1. */
int rrtext_append_zone_diff(outbox_t *ob, const struct zone_rr *rr, int add, const char *zone,
	uint32_t serial_from, uint32_t serial_to, int64_t timestamp_ms);

#endif
