/* keys.h -- the TSIG keyring built from the configuration's keys: inline keys and BIND key
 * files (key "name" { algorithm hmac-sha256; secret "base64"; };), as operators receive
 * them from tsig-keygen. Used by transfers out, NOTIFY out, signed queries and the
 * secondary; one keyring per process, replaced whole by a reload (daemon/main.c).
 * Never reads the network or the store; a keyring it returns is the caller's. */
#ifndef NODD_KEYS_H
#define NODD_KEYS_H

#include <stddef.h>

#include "conf/config.h"
#include "lib/err.h"
#include "lib/tsig.h"

/* Build a new keyring from cfg->keys (borrowed). Returns NULL with a message naming the
 * config line or the key file in e. The caller frees with tsig_keyring_free(). */
struct tsig_keyring *keys_load(const struct nodd_config *cfg, struct nodd_err *e);

/* Every key named by transfer.allow, transfer.notify and upstreams is in kr: 0, else -1
 * with "FILE:LINE: section: no key named ..." in e (NODD_E_NOTFOUND). */
int keys_check_refs(const struct nodd_config *cfg, const struct tsig_keyring *kr,
	struct nodd_err *e);

/* keys_load() then keys_check_refs(): what nodd starts with, --check-config checks and a
 * reload takes. NULL with the message in e. */
struct tsig_keyring *keys_load_checked(const struct nodd_config *cfg, struct nodd_err *e);

#endif
