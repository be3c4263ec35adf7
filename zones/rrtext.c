/* rrtext.c -- stored records to presentation text through ldns. The owner is kept as
 * ldns_rdf2str writes it, lowercased and without the trailing dot; ldns reads the \DDD
 * escapes back. No store, no network. */
#include "zones/rrtext.h"

#include <stdlib.h>
#include <string.h>

#include "policy/record.h"

/* The stored record as an ldns_rr (its wire form read back). Caller frees. */
static ldns_rr *to_ldns(const struct zone_rr *p)
{
	ldns_rdf *on = NULL;
	if (ldns_str2rdf_dname(&on, p->owner[0] ? p->owner : ".") != LDNS_STATUS_OK)
		return NULL;
	size_t ol = ldns_rdf_size(on), len = ol + 10 + p->rdlen;
	uint8_t *w = malloc(len);
	if (!w) {
		ldns_rdf_deep_free(on);
		return NULL;
	}
	memcpy(w, ldns_rdf_data(on), ol);
	ldns_rdf_deep_free(on);
	uint8_t *h = w + ol;
	h[0] = (uint8_t)(p->type >> 8);
	h[1] = (uint8_t)p->type;
	h[2] = 0;
	h[3] = 1;
	h[4] = (uint8_t)(p->ttl >> 24);
	h[5] = (uint8_t)(p->ttl >> 16);
	h[6] = (uint8_t)(p->ttl >> 8);
	h[7] = (uint8_t)p->ttl;
	h[8] = (uint8_t)(p->rdlen >> 8);
	h[9] = (uint8_t)p->rdlen;
	if (p->rdlen)
		memcpy(h + 10, p->rd, p->rdlen);
	ldns_rr *rr = NULL;
	size_t pos = 0;
	if (ldns_wire2rr(&rr, w, len, &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		rr = NULL;
	free(w);
	return rr;
}

char *rrtext_line(const struct zone_rr *rr)
{
	ldns_rr *l = to_ldns(rr);
	char *t = l ? ldns_rr2str(l) : NULL;
	ldns_rr_free(l);
	return t;
}

int rrtext_append_zone_diff(outbox_t *ob, const struct zone_rr *p, int add, const char *zone,
	uint32_t serial_from, uint32_t serial_to, int64_t timestamp_ms)
{
	ldns_rr *rr = to_ldns(p);
	if (!rr)
		return -1;
	size_t n = ldns_rr_rd_count(rr);
	char **fields = calloc(n ? n : 1, sizeof *fields);
	char *owner = ldns_rdf2str(ldns_rr_owner(rr));
	char *tname = ldns_rr_type2str(ldns_rr_get_type(rr));
	int rc = -1;
	if (fields) {
		for (size_t i = 0; i < n; i++)
			fields[i] = ldns_rdf2str(ldns_rr_rdf(rr, i));
		struct record_rr r = { owner, (uint16_t)ldns_rr_get_type(rr), tname, ldns_rr_ttl(rr),
			(const char *const *)fields, n };
		rc = record_append_zone_diff(ob, &r, add, zone, serial_from, serial_to, timestamp_ms);
		for (size_t i = 0; i < n; i++)
			free(fields[i]);
	}
	free(fields);
	free(owner);
	free(tname);
	ldns_rr_free(rr);
	return rc;
}
