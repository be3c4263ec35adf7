/* acl.c -- transfer ACL: key names and address prefixes. IPv4-mapped IPv6 peers
 * (::ffff:a.b.c.d) match IPv4 prefixes, as a dual-stack listener reports them so. */
#include "server/acl.h"

#include <netinet/in.h>
#include <string.h>
#include <strings.h>

static int bits_match(const uint8_t *a, const uint8_t *b, int prefix)
{
	int full = prefix / 8, rest = prefix % 8;
	if (memcmp(a, b, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

int acl_addr_match(const struct sockaddr_storage *net, int prefix, const struct sockaddr *peer)
{
	if (prefix < 0 || !peer)
		return 0;
	const uint8_t *pa = NULL;
	int fam = peer->sa_family;
	if (fam == AF_INET) {
		pa = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
	} else if (fam == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)peer)->sin6_addr;
		if (net->ss_family == AF_INET && IN6_IS_ADDR_V4MAPPED(a6)) {
			pa = a6->s6_addr + 12;
			fam = AF_INET;
		} else {
			pa = a6->s6_addr;
		}
	} else {
		return 0;
	}
	if (fam != net->ss_family)
		return 0;
	const uint8_t *na = fam == AF_INET
		? (const uint8_t *)&((const struct sockaddr_in *)net)->sin_addr
		: ((const struct sockaddr_in6 *)net)->sin6_addr.s6_addr;
	return bits_match(pa, na, prefix);
}

int acl_allows(const struct config_acl *acl, int n, const struct sockaddr *peer,
	const char *key_name)
{
	for (int i = 0; i < n; i++) {
		const struct config_acl *a = &acl[i];
		if (a->key && (!key_name || strcasecmp(a->key, key_name) != 0))
			continue;
		if (a->prefix >= 0 && !acl_addr_match(&a->net, a->prefix, peer))
			continue;
		return 1;
	}
	return 0;
}
