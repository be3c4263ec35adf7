/* test_record.c -- the exact JSON of a zone_diff record for an RR given as presentation
 * text: owner and names in rdata lowercased without the trailing dot, numbers as numbers,
 * the fDNS dictionary's fields for A, AAAA, NS, MX, DS, SOA, TXT, and "rdata" for the
 * others; too few fields for a type give no dictionary fields. */
#include <jansson.h>
#include <stdlib.h>

#include "policy/record.h"
#include "tests/unit/tap.h"

#define TAIL "\"zone\":\"nodtest\",\"serial_from\":5,\"serial_to\":6,\"timestamp\":1700000000123}"

struct record_case {
	const char *what;
	const char *owner;
	uint16_t type;
	const char *type_name;
	uint32_t ttl;
	int add;
	const char *rdata[8];
	size_t n;
	const char *json;
};

static const struct record_case cases[] = {
	{ "NS added: names lowercased, no trailing dot", "New.NodTest.", 2, "NS", 3600, 1,
		{ "ns1.Example.net." }, 1,
		"{\"op\":\"add\",\"query_name\":\"new.nodtest\",\"response_name\":\"new.nodtest\","
		"\"response_type\":\"NS\",\"response_ttl\":3600,\"ns_address\":\"ns1.example.net\","
		TAIL },
	{ "A removed", "ns1.new.nodtest.", 1, "A", 60, 0, { "192.0.2.1" }, 1,
		"{\"op\":\"del\",\"query_name\":\"ns1.new.nodtest\",\"response_name\":\"ns1.new.nodtest\","
		"\"response_type\":\"A\",\"response_ttl\":60,\"ip4_address\":\"192.0.2.1\"," TAIL },
	{ "AAAA", "x.nodtest.", 28, "AAAA", 60, 1, { "2001:db8::1" }, 1,
		"{\"op\":\"add\",\"query_name\":\"x.nodtest\",\"response_name\":\"x.nodtest\","
		"\"response_type\":\"AAAA\",\"response_ttl\":60,\"ip6_address\":\"2001:db8::1\"," TAIL },
	{ "MX: preference a number, exchange a name", "x.nodtest.", 15, "MX", 300, 1,
		{ "10", "Mail.X.nodtest." }, 2,
		"{\"op\":\"add\",\"query_name\":\"x.nodtest\",\"response_name\":\"x.nodtest\","
		"\"response_type\":\"MX\",\"response_ttl\":300,\"mx_preference\":10,"
		"\"mx_address\":\"mail.x.nodtest\"," TAIL },
	{ "DS: three numbers and the digest text", "x.nodtest.", 43, "DS", 60, 0,
		{ "12345", "13", "2", "AABBCCDD" }, 4,
		"{\"op\":\"del\",\"query_name\":\"x.nodtest\",\"response_name\":\"x.nodtest\","
		"\"response_type\":\"DS\",\"response_ttl\":60,\"ds_key_tag\":12345,\"ds_algorithm\":13,"
		"\"ds_digest_type\":2,\"ds_digest\":\"AABBCCDD\"," TAIL },
	{ "SOA: two names, five numbers", "nodtest.", 6, "SOA", 300, 1,
		{ "NS1.nodtest.", "hostmaster.nodtest.", "7", "3600", "600", "86400", "300" }, 7,
		"{\"op\":\"add\",\"query_name\":\"nodtest\",\"response_name\":\"nodtest\","
		"\"response_type\":\"SOA\",\"response_ttl\":300,\"soa_mname\":\"ns1.nodtest\","
		"\"soa_rname\":\"hostmaster.nodtest\",\"soa_serial\":7,\"soa_refresh\":3600,"
		"\"soa_retry\":600,\"soa_expire\":86400,\"soa_minimum\":300," TAIL },
	{ "TXT: its strings as written", "t.nodtest.", 16, "TXT", 60, 1,
		{ "\"v=spf1 -all\"", "\"two\"" }, 2,
		"{\"op\":\"add\",\"query_name\":\"t.nodtest\",\"response_name\":\"t.nodtest\","
		"\"response_type\":\"TXT\",\"response_ttl\":60,"
		"\"txt_text\":[\"\\\"v=spf1 -all\\\"\",\"\\\"two\\\"\"]," TAIL },
	{ "another type: the presentation fields in rdata, NULL as null", "s.nodtest.", 33, "SRV",
		60, 1, { "0", "5", "5060", NULL }, 4,
		"{\"op\":\"add\",\"query_name\":\"s.nodtest\",\"response_name\":\"s.nodtest\","
		"\"response_type\":\"SRV\",\"response_ttl\":60,"
		"\"rdata\":[\"0\",\"5\",\"5060\",null]," TAIL },
	{ "MX with one field: no dictionary fields; no type name: ?", ".", 15, NULL, 1, 1,
		{ "10" }, 1,
		"{\"op\":\"add\",\"query_name\":\".\",\"response_name\":\".\","
		"\"response_type\":\"?\",\"response_ttl\":1," TAIL },
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct record_case *c = &cases[i];
		struct record_rr rr = { c->owner, c->type, c->type_name, c->ttl, c->rdata, c->n };
		json_t *o = record_zone_diff(&rr, c->add, "nodtest", 5, 6, 1700000000123LL);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		is_str(s, c->json, "%s", c->what);
		free(s);
		json_decref(o);
	}
	return tap_done();
}
