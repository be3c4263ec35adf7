/* test_tcp_client -- which connections count as one client for tcp-clients-per-ip: one
 * IPv4 address (IPv4-mapped or not), one IPv6 /64. */
#include <stdio.h>

#include "lib/sockaddr.h"
#include "server/tcp.h"
#include "tap.h"

static const struct {
	const char *a, *b;
	int same;
} cases[] = {
	{ "192.0.2.1", "192.0.2.1", 1 },
	{ "192.0.2.1", "192.0.2.2", 0 },
	{ "::ffff:192.0.2.1", "192.0.2.1", 1 },
	{ "192.0.2.1", "::ffff:192.0.2.1", 1 },
	{ "::ffff:192.0.2.2", "::ffff:192.0.2.1", 0 },
	{ "2001:db8:1:2::1", "2001:db8:1:2::1", 1 },
	{ "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", 1 },
	{ "2001:db8:1:2:abcd::7", "2001:db8:1:2::1", 1 },
	{ "2001:db8:1:3::1", "2001:db8:1:2::1", 0 },
	{ "2001:db8:2:2::1", "2001:db8:1:2::1", 0 },
	{ "::1", "::2", 1 },
	{ "192.0.2.1", "2001:db8:1:2::1", 0 },
	{ "2001:db8:1:2::1", "192.0.2.1", 0 },
	{ "::ffff:192.0.2.1", "::ffff:192.0.2.9", 0 },
	{ "::ffff:192.0.2.1", "2001:db8:1:2::1", 0 },
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sockaddr_storage a, b;
		socklen_t la, lb;
		const char *why;
		int ok_a = sa_parse(cases[i].a, 53, &a, &la, &why) == 0;
		int ok_b = sa_parse(cases[i].b, 53, &b, &lb, &why) == 0;
		ok(ok_a && ok_b && tcp_same_client((struct sockaddr *)&a, (struct sockaddr *)&b) ==
			cases[i].same, "%s %s %s", cases[i].a, cases[i].same ? "is one client with" :
			"is another client than", cases[i].b);
	}
	return tap_done();
}
