/* record.c -- zone_diff records: one RR, named with the OpenINTEL fDNS dictionary's
 * fields (query_name, response_type, response_ttl, ns_address, ip4_address, ...), so
 * tools written for fDNS data read them unchanged. Types without a dictionary field carry
 * their presentation rdata in "rdata". Pure text to JSON: parses no wire format. */
#include "policy/record.h"

#include <stdlib.h>
#include <string.h>

enum {
	T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_MX = 15, T_TXT = 16, T_AAAA = 28,
	T_DS = 43, T_DNSKEY = 48,
};

/* A domain name: lowercased, without the trailing dot (the root stays "."). */
static json_t *j_name(const char *t)
{
	if (!t)
		return json_null();
	size_t n = strlen(t);
	char *c = malloc(n + 1);
	if (!c)
		return json_null();
	memcpy(c, t, n + 1);
	if (n > 1 && c[n - 1] == '.')
		c[n - 1] = '\0';
	for (char *p = c; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	json_t *j = json_string(c);
	free(c);
	return j ? j : json_null();
}

static json_t *j_text(const char *t)
{
	json_t *j = t ? json_string(t) : NULL;
	return j ? j : json_null();
}

static json_t *j_int(const char *t)
{
	return t ? json_integer(strtoll(t, NULL, 10)) : json_null();
}

/* Fields named by the dictionary, by position: 'n' a name, 'i' a number, 't' text. */
struct shape {
	uint16_t type;
	const char *kinds;
	const char *names[7];
};

static const struct shape shapes[] = {
	{ T_A, "t", { "ip4_address" } },
	{ T_AAAA, "t", { "ip6_address" } },
	{ T_NS, "n", { "ns_address" } },
	{ T_CNAME, "n", { "cname_name" } },
	{ T_MX, "in", { "mx_preference", "mx_address" } },
	{ T_DS, "iiit", { "ds_key_tag", "ds_algorithm", "ds_digest_type", "ds_digest" } },
	{ T_DNSKEY, "iiit", { "dnskey_flags", "dnskey_protocol", "dnskey_algorithm", "dnskey_pk" } },
	{ T_SOA, "nniiiii", { "soa_mname", "soa_rname", "soa_serial", "soa_refresh", "soa_retry",
		"soa_expire", "soa_minimum" } },
};

static void put_rdata(json_t *o, const struct record_rr *rr)
{
	for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
		const struct shape *sh = &shapes[s];
		if (sh->type != rr->type)
			continue;
		size_t want = strlen(sh->kinds);
		if (rr->nrdata < want)
			return; /* too few fields: no dictionary fields at all */
		for (size_t i = 0; i < want; i++) {
			const char *t = rr->rdata[i];
			json_object_set_new(o, sh->names[i], sh->kinds[i] == 'n' ? j_name(t)
				: sh->kinds[i] == 'i' ? j_int(t) : j_text(t));
		}
		return;
	}
	/* TXT: its strings; everything else: the presentation rdata, field by field */
	json_t *a = json_array();
	for (size_t i = 0; i < rr->nrdata; i++)
		json_array_append_new(a, j_text(rr->rdata[i]));
	json_object_set_new(o, rr->type == T_TXT ? "txt_text" : "rdata", a);
}

json_t *record_zone_diff(const struct record_rr *rr, int add, const char *zone,
	uint32_t serial_from, uint32_t serial_to, int64_t timestamp_ms)
{
	json_t *o = json_object();
	json_t *owner = j_name(rr->owner);
	json_object_set_new(o, "op", json_string(add ? "add" : "del"));
	json_object_set_new(o, "query_name", owner);
	json_object_set_new(o, "response_name", json_incref(owner) ? owner : json_null());
	json_object_set_new(o, "response_type", json_string(rr->type_name ? rr->type_name : "?"));
	json_object_set_new(o, "response_ttl", json_integer(rr->ttl));
	put_rdata(o, rr);
	json_object_set_new(o, "zone", json_string(zone));
	json_object_set_new(o, "serial_from", json_integer(serial_from));
	json_object_set_new(o, "serial_to", json_integer(serial_to));
	json_object_set_new(o, "timestamp", json_integer(timestamp_ms));
	return o;
}

int record_append_zone_diff(outbox_t *ob, const struct record_rr *rr, int add, const char *zone,
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
