/* lookup.h -- what the published zones hold for a name, as pure functions of the index
 * and the time. server/answer.c turns the result into records.
 *
 * rel is the query name relative to the zone apex: lowercase labels without the root
 * label, len 0 for the apex itself. The caller holds the index read lock. al is the
 * allow-list (NULL for none): a name its open entries match is in no zone. Empty
 * non-terminals are the index's ancestors, which leave out the names ix excludes
 * (nindex_set_exclude: policy/nod_allow.c excludes al's), so a parent of allowed names
 * only does not exist.
 * No store, no network, no wire format. */
#ifndef NODD_LOOKUP_H
#define NODD_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "policy/allow.h"
#include "policy/index.h"

enum nod_match {
	NOD_NXDOMAIN = 0, /* no such name in the zone */
	NOD_NODATA = 1,   /* the name exists (empty non-terminal, or no RRset of the type) */
	NOD_LISTED = 2,   /* DNSBL: listed (A code + TXT); RPZ: "qname CNAME ." */
};

/* DNSBL zone v1.bl.<suffix>: the name, or its closest listed ancestor, is in the 24 h
 * window -> NOD_LISTED with *first_seen and *code (2..8). "test" is always listed with
 * code 2 and *first_seen = 0; "invalid" and names below it never are (RFC 5782 section 5).
 * A proper ancestor of a listed name -> NOD_NODATA. Anything else NOD_NXDOMAIN. A name
 * the allow-list matches is NOD_NXDOMAIN, and an allowed ancestor lists nothing below it. */
enum nod_match dnsbl_lookup(const nindex_t *ix, const allow_t *al, const uint8_t *rel,
	size_t len, int64_t now, int64_t *first_seen, int *code);

/* RPZ zone of window w (0..6). The zone holds, for each name n in the window, the
 * records "n CNAME ." and "*.n CNAME .". Answers as an authoritative server holding
 * exactly those records would (RFC 1034 4.3.2, RFC 4592 wildcards):
 * NOD_LISTED when the name owns a CNAME (exact, "*.n" itself, or synthesised from the
 * wildcard of its closest encloser), NOD_NODATA for an empty non-terminal, else
 * NOD_NXDOMAIN. */
enum nod_match rpz_lookup(const nindex_t *ix, const allow_t *al, int w, const uint8_t *rel,
	size_t len, int64_t now);

#endif
