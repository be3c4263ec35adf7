/* test_acl.c -- transfer ACL: address prefixes (v4, v6, v4-mapped), key names, both. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "server/acl.h"
#include "tap.h"

static struct sockaddr_storage addr(const char *a)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, a, &((struct sockaddr_in *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, a, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	return ss;
}

/* An entry: key (NULL: any), net/prefix (prefix -1: any address). */
static struct config_acl entry(const char *key, const char *net, int prefix)
{
	struct config_acl a;
	memset(&a, 0, sizeof a);
	a.key = (char *)key;
	a.prefix = prefix;
	if (net)
		a.net = addr(net);
	return a;
}

int main(void)
{
	struct config_acl acl[3] = {
		entry("nod-xfr", NULL, -1),
		entry(NULL, "127.0.0.0", 30),
		entry("both-key", "::1", 128),
	};
	static const struct {
		const char *what, *peer, *key;
		int n, want;
	} rows[] = {
		{ "unsigned from a listed prefix", "127.0.0.2", NULL, 3, 1 },
		{ "unsigned from outside the prefix: refused", "127.0.0.9", NULL, 3, 0 },
		{ "listed key from anywhere", "127.0.0.9", "nod-xfr", 3, 1 },
		{ "key names compare case-insensitively", "127.0.0.9", "NOD-XFR", 3, 1 },
		{ "unlisted key from outside: refused", "127.0.0.9", "other", 3, 0 },
		{ "v4-mapped v6 peer matches a v4 prefix", "::ffff:127.0.0.3", NULL, 3, 1 },
		{ "v4-mapped v6 peer outside the v4 prefix", "::ffff:127.0.0.9", NULL, 3, 0 },
		{ "key+address entry needs the key", "::1", NULL, 3, 0 },
		{ "key+address entry with both", "::1", "both-key", 3, 1 },
		{ "key+address entry from another address", "::2", "both-key", 3, 0 },
		{ "empty ACL allows nobody", "127.0.0.2", "nod-xfr", 0, 0 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct sockaddr_storage p = addr(rows[i].peer);
		is_int(acl_allows(acl, rows[i].n, (const struct sockaddr *)&p, rows[i].key),
			rows[i].want, "%s", rows[i].what);
	}

	/* One address entry: net/prefix against a peer. */
	static const struct {
		const char *what, *net;
		int prefix;
		const char *peer;
		int want;
	} nets[] = {
		{ "/0 matches everything of the family", "10.0.0.0", 0, "127.0.0.2", 1 },
		{ "10/8 does not match 127.0.0.2", "10.0.0.0", 8, "127.0.0.2", 0 },
		{ "a prefix inside a byte: 127.0.0.0/30 takes .3", "127.0.0.0", 30, "127.0.0.3", 1 },
		{ "a prefix inside a byte: 127.0.0.0/30 not .4", "127.0.0.0", 30, "127.0.0.4", 0 },
		{ "a v4 net never matches a v6 peer", "0.0.0.0", 0, "::1", 0 },
		{ "a v6 net never matches a v4 peer", "::", 0, "127.0.0.1", 0 },
		{ "v6 /64", "2001:db8::", 64, "2001:db8::5", 1 },
		{ "v6 /64, another net", "2001:db8::", 64, "2001:db8:0:1::5", 0 },
		{ "a v4-mapped peer is matched as the IPv6 address it is: ::/0 takes it", "::", 0,
			"::ffff:127.0.0.1", 1 },
		{ "a v4-mapped peer against a v6 /96 of the mapped range", "::ffff:0.0.0.0", 96,
			"::ffff:127.0.0.1", 1 },
		{ "a v4-mapped peer outside a v6 net", "2001:db8::", 32, "::ffff:127.0.0.1", 0 },
	};
	for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
		struct config_acl a = entry(NULL, nets[i].net, nets[i].prefix);
		struct sockaddr_storage p = addr(nets[i].peer);
		is_int(acl_allows(&a, 1, (const struct sockaddr *)&p, NULL), nets[i].want, "%s",
			nets[i].what);
	}
	return tap_done();
}
