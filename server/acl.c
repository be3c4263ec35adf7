/* acl.c -- transfer ACL: key names and address prefixes. Prefixes are matched by
 * lib/sockaddr.h: an IPv4-mapped IPv6 peer (::ffff:a.b.c.d, as a dual-stack listener
 * reports an IPv4 client) is matched as the IPv4 address it carries.
 * Decides only; never logs and never answers. */
#include "server/acl.h"

#include <strings.h>

#include "lib/sockaddr.h"

int acl_allows(const struct config_acl *acl, int n, const struct sockaddr *peer,
	const char *key_name)
{
	for (int i = 0; i < n; i++) {
		const struct config_acl *a = &acl[i];
		if (a->key && (!key_name || strcasecmp(a->key, key_name) != 0))
			continue;
		if (a->prefix >= 0 &&
		    !sa_in_prefix(peer, (const struct sockaddr *)&a->net, a->prefix))
			continue;
		return 1;
	}
	return 0;
}
