/* rrtext.h -- the one place zones/ converts a stored record (struct zone_rr) to
 * presentation text, for zone_diff records and error messages (records come off the
 * wire through zones/xfrmsg.c, without ldns).
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

/* rr as one presentation line ("x.nodtest.\t60\tIN\tNS\tns1.nodtest.\n"); caller frees.
 * NULL when ldns cannot read it back. */
char *rrtext_line(const struct zone_rr *rr);

/* Append rr's zone_diff record to ob (policy/record.c) with the serials of the transfer
 * and its commit time in milliseconds. 0 or -1. */
int rrtext_append_zone_diff(outbox_t *ob, const struct zone_rr *rr, int add, const char *zone,
	uint32_t serial_from, uint32_t serial_to, int64_t timestamp_ms);

#endif
