/* test_observe.c -- which added records are delegations, and the observation source. */
#include "tests/unit/tap.h"
#include "zones/observe.h"

int main(void)
{
	const int NS = 2, A = 1, AAAA = 28, DS = 43, RRSIG = 46, NSEC = 47, DNSKEY = 48, NSEC3 = 50;
	ok(observe_is_delegation("example.ch", "ch", NS), "NS below the apex");
	ok(observe_is_delegation("a.b.ch", "ch", NS), "NS deeper below the apex");
	ok(!observe_is_delegation("ch", "ch", NS), "apex NS is not a delegation");
	ok(!observe_is_delegation("example.li", "ch", NS), "out of zone");
	ok(!observe_is_delegation("xch", "ch", NS), "suffix without a label boundary");
	ok(!observe_is_delegation("example.ch", "ch", DS), "DS is DNSSEC only");
	ok(!observe_is_delegation("example.ch", "ch", RRSIG), "RRSIG");
	ok(!observe_is_delegation("example.ch", "ch", NSEC), "NSEC");
	ok(!observe_is_delegation("example.ch", "ch", NSEC3), "NSEC3");
	ok(!observe_is_delegation("ch", "ch", DNSKEY), "DNSKEY");
	ok(!observe_is_delegation("ns1.example.ch", "ch", A), "glue A");
	ok(!observe_is_delegation("ns1.example.ch", "ch", AAAA), "glue AAAA");
	ok(observe_is_delegation("se", "", NS), "below the root");
	ok(!observe_is_delegation("", "", NS), "the root itself");
	ok(observe_is_delegation("x.nodtest", "nodtest", NS), "test zone");

	char src[300];
	observe_source(src, sizeof src, "ch", 2025112201u, 0);
	is_str(src, "zone ch serial 2025112201", "source names zone and serial");
	observe_source(src, sizeof src, "se", 7, 1);
	is_str(src, "zone se serial 7 (baseline)", "baseline marked");
	observe_source(src, sizeof src, "", 1, 0);
	is_str(src, "zone . serial 1", "root zone");
	return tap_done();
}
