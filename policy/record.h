/* record.h -- the JSON records of the streams (schemas in docs/schemas/).
 *   zone_diff: one per added or removed RR of an applied upstream transfer, with the
 *   field names of the OpenINTEL fDNS dictionary where they fit.
 * (newly_registered_domain records are built by policy/nod.c.)
 * Takes records as presentation text: no DNS library here (zones/ does the parsing). */
#ifndef NODD_RECORD_H
#define NODD_RECORD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/outbox.h"

/* One RR in presentation form; every pointer borrowed. */
struct record_rr {
	const char *owner;          /* as written ("New.NodTest."): lowercased, dot dropped */
	uint16_t type;              /* the type code (decides the fields) */
	const char *type_name;      /* its mnemonic ("NS", "TYPE65534"); NULL: "?" */
	uint32_t ttl;
	const char *const *rdata;   /* each rdata field as presentation text (a NULL entry */
	size_t nrdata;              /* becomes JSON null) */
};

/* A new zone_diff record for rr: op "add" or "del", the zone (norm text), the serials of
 * the transfer and its commit time in milliseconds. Caller decrefs. */
json_t *record_zone_diff(const struct record_rr *rr, int add, const char *zone,
	uint32_t serial_from, uint32_t serial_to, int64_t timestamp_ms);

/* Build and append it to the outbox (key: the owner name). 0 or -1. */
int record_append_zone_diff(outbox_t *ob, const struct record_rr *rr, int add, const char *zone,
	uint32_t serial_from, uint32_t serial_to, int64_t timestamp_ms);

#endif
