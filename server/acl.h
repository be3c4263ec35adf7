/* acl.h -- who may transfer the published zones (transfer.allow): an entry names a TSIG key,
 * an address prefix, or both (then both must match). Decides only: no logging, no reply. */
#ifndef NODD_ACL_H
#define NODD_ACL_H

#include <sys/socket.h>

#include "conf/config.h"

/* 1 when some entry of acl[0..n) allows the peer. key_name: the presentation name of the
 * TSIG key the request verified with (no trailing dot), NULL for an unsigned request. */
int acl_allows(const struct config_acl *acl, int n, const struct sockaddr *peer,
	const char *key_name);

#endif
