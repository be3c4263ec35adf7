/* record.c -- zone_diff records: one RR, named with the OpenINTEL fDNS dictionary's
 * fields (query_name, response_type, response_ttl, ns_address, ip4_address, ...), so
 * tools written for fDNS data read them unchanged. Types without a dictionary field carry
 * their presentation rdata in "rdata". */
#include "policy/record.h"

#include <stdlib.h>
#include <string.h>

static json_t *rdf_name(const ldns_rdf *r)
{
	char *t = ldns_rdf2str(r);
	if (!t)
		return json_null();
	size_t n = strlen(t);
	if (n > 1 && t[n - 1] == '.')
		t[n - 1] = '\0';
	for (char *p = t; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	json_t *j = json_string(t);
	free(t);
	return j ? j : json_null();
}

static json_t *rdf_text(const ldns_rdf *r)
{
	char *t = ldns_rdf2str(r);
	if (!t)
		return json_null();
	json_t *j = json_string(t);
	free(t);
	return j ? j : json_null();
}

static json_t *rdf_int(const ldns_rdf *r)
{
	char *t = ldns_rdf2str(r);
	if (!t)
		return json_null();
	json_t *j = json_integer(strtoll(t, NULL, 10));
	free(t);
	return j;
}

json_t *record_zone_diff(const ldns_rr *rr, int add, const char *zone, uint32_t serial_from,
	uint32_t serial_to, int64_t timestamp_ms)
{
	json_t *o = json_object();
	json_t *owner = rdf_name(ldns_rr_owner(rr));
	ldns_rr_type type = ldns_rr_get_type(rr);
	char *tname = ldns_rr_type2str(type);
	json_object_set_new(o, "op", json_string(add ? "add" : "del"));
	json_object_set_new(o, "query_name", owner);
	json_object_set_new(o, "response_name", json_incref(owner) ? owner : json_null());
	json_object_set_new(o, "response_type", json_string(tname ? tname : "?"));
	json_object_set_new(o, "response_ttl", json_integer(ldns_rr_ttl(rr)));
	free(tname);
	size_t n = ldns_rr_rd_count(rr);
	const ldns_rdf *r0 = n > 0 ? ldns_rr_rdf(rr, 0) : NULL;
	switch (type) {
	case LDNS_RR_TYPE_A:
		if (r0)
			json_object_set_new(o, "ip4_address", rdf_text(r0));
		break;
	case LDNS_RR_TYPE_AAAA:
		if (r0)
			json_object_set_new(o, "ip6_address", rdf_text(r0));
		break;
	case LDNS_RR_TYPE_NS:
		if (r0)
			json_object_set_new(o, "ns_address", rdf_name(r0));
		break;
	case LDNS_RR_TYPE_CNAME:
		if (r0)
			json_object_set_new(o, "cname_name", rdf_name(r0));
		break;
	case LDNS_RR_TYPE_MX:
		if (n >= 2) {
			json_object_set_new(o, "mx_preference", rdf_int(ldns_rr_rdf(rr, 0)));
			json_object_set_new(o, "mx_address", rdf_name(ldns_rr_rdf(rr, 1)));
		}
		break;
	case LDNS_RR_TYPE_DS:
		if (n >= 4) {
			json_object_set_new(o, "ds_key_tag", rdf_int(ldns_rr_rdf(rr, 0)));
			json_object_set_new(o, "ds_algorithm", rdf_int(ldns_rr_rdf(rr, 1)));
			json_object_set_new(o, "ds_digest_type", rdf_int(ldns_rr_rdf(rr, 2)));
			json_object_set_new(o, "ds_digest", rdf_text(ldns_rr_rdf(rr, 3)));
		}
		break;
	case LDNS_RR_TYPE_DNSKEY:
		if (n >= 4) {
			json_object_set_new(o, "dnskey_flags", rdf_int(ldns_rr_rdf(rr, 0)));
			json_object_set_new(o, "dnskey_protocol", rdf_int(ldns_rr_rdf(rr, 1)));
			json_object_set_new(o, "dnskey_algorithm", rdf_int(ldns_rr_rdf(rr, 2)));
			json_object_set_new(o, "dnskey_pk", rdf_text(ldns_rr_rdf(rr, 3)));
		}
		break;
	case LDNS_RR_TYPE_SOA:
		if (n >= 7) {
			static const char *f[] = { "soa_mname", "soa_rname", "soa_serial", "soa_refresh",
				"soa_retry", "soa_expire", "soa_minimum" };
			for (int i = 0; i < 7; i++)
				json_object_set_new(o, f[i], i < 2 ? rdf_name(ldns_rr_rdf(rr, (size_t)i))
					: rdf_int(ldns_rr_rdf(rr, (size_t)i)));
		}
		break;
	case LDNS_RR_TYPE_TXT: {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, rdf_text(ldns_rr_rdf(rr, i)));
		json_object_set_new(o, "txt_text", a);
		break;
	}
	default: {
		/* everything else: the presentation rdata, fields separated by spaces */
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, rdf_text(ldns_rr_rdf(rr, i)));
		json_object_set_new(o, "rdata", a);
		break;
	}
	}
	json_object_set_new(o, "zone", json_string(zone));
	json_object_set_new(o, "serial_from", json_integer(serial_from));
	json_object_set_new(o, "serial_to", json_integer(serial_to));
	json_object_set_new(o, "timestamp", json_integer(timestamp_ms));
	return o;
}

int record_append_zone_diff(outbox_t *ob, const ldns_rr *rr, int add, const char *zone,
	uint32_t serial_from, uint32_t serial_to, int64_t timestamp_ms)
{
	json_t *o = record_zone_diff(rr, add, zone, serial_from, serial_to, timestamp_ms);
	if (!o)
		return -1;
	const char *key = json_string_value(json_object_get(o, "query_name"));
	int rc = outbox_append(ob, OUTBOX_ZONE_DIFF, key ? key : "", o, timestamp_ms / 1000, NULL);
	json_decref(o);
	return rc;
}
