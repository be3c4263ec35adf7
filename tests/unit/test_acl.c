/* test_acl.c -- transfer ACL: address prefixes (v4, v6, v4-mapped), key names, both. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "server/acl.h"
#include "tap.h"

static struct sockaddr_storage v4(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	ss.ss_family = AF_INET;
	inet_pton(AF_INET, a, &((struct sockaddr_in *)&ss)->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	ss.ss_family = AF_INET6;
	inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)&ss)->sin6_addr);
	return ss;
}

int main(void)
{
	struct config_acl acl[3];
	memset(acl, 0, sizeof acl);
	acl[0].key = "nod-xfr";
	acl[0].prefix = -1;
	acl[1].net = v4("127.0.0.0");
	acl[1].prefix = 30;
	acl[2].key = "both-key";
	acl[2].net = v6("::1");
	acl[2].prefix = 128;

	struct sockaddr_storage p = v4("127.0.0.2"), q = v4("127.0.0.9"), m = v6("::ffff:127.0.0.3"),
		l6 = v6("::1"), o6 = v6("::2");
	const struct sockaddr *P = (const void *)&p, *Q = (const void *)&q, *M = (const void *)&m,
		*L6 = (const void *)&l6, *O6 = (const void *)&o6;
	ok(acl_allows(acl, 3, P, NULL), "unsigned from a listed prefix");
	ok(!acl_allows(acl, 3, Q, NULL), "unsigned from outside the prefix: refused");
	ok(acl_allows(acl, 3, Q, "nod-xfr"), "listed key from anywhere");
	ok(acl_allows(acl, 3, Q, "NOD-XFR"), "key names compare case-insensitively");
	ok(!acl_allows(acl, 3, Q, "other"), "unlisted key from outside: refused");
	ok(acl_allows(acl, 3, M, NULL), "v4-mapped v6 peer matches a v4 prefix");
	ok(!acl_allows(acl, 3, L6, NULL), "key+address entry needs the key");
	ok(acl_allows(acl, 3, L6, "both-key"), "key+address entry with both");
	ok(!acl_allows(acl, 3, O6, "both-key"), "key+address entry from another address");
	ok(!acl_allows(acl, 0, P, "nod-xfr"), "empty ACL allows nobody");
	struct sockaddr_storage n0 = v4("10.0.0.0");
	ok(acl_addr_match(&n0, 0, P), "/0 matches everything of the family");
	ok(!acl_addr_match(&n0, 8, P), "10/8 does not match 127.0.0.2");
	return tap_done();
}
