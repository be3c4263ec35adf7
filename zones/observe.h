/* observe.h -- which changes of an upstream zone are newly observed domains.
 * Pure: decides, never records. */
#ifndef NODD_OBSERVE_H
#define NODD_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

/* 1 when a record of this owner and type, added to the zone, is a delegation that may be a
 * newly observed domain: an NS record whose owner is strictly below the apex. DS, RRSIG,
 * NSEC/NSEC3, DNSKEY and glue (A/AAAA) are never observations. owner and zone are norm
 * text (lowercase, no trailing dot, "" for the root), borrowed. */
int observe_is_delegation(const char *owner, const char *zone, int type);

/* The source text of an observation: "zone <zone> serial <serial>", with " (baseline)"
 * for the first AXFR. Writes at most outsz bytes into out. */
void observe_source(char *out, size_t outsz, const char *zone, uint32_t serial, int baseline);

#endif
