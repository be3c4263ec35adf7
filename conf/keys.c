/* keys.c -- the TSIG keyring from the configuration's keys (key files through
 * lib/keyfile.c), and the check that every key a section names is in it. Reads the key
 * files; opens no socket and keeps no state between calls. */
#include "conf/keys.h"

#include "lib/keyfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tsig_keyring *keys_load(const struct nodd_config *cfg, struct nodd_err *e)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	if (!kr) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		return NULL;
	}
	for (int i = 0; i < cfg->nkeys; i++) {
		const struct config_key *ck = &cfg->keys[i];
		if (ck->file) {
			struct nodd_err fe;
			if (keyfile_load(ck->file, kr, &fe) < 0) {
				nodd_fail(e, fe.kind, "%s:%d: keys: %s", cfg->path, ck->line, fe.msg);
				goto fail;
			}
			continue;
		}
		struct tsig_key k;
		const char *why = NULL;
		if (tsig_key_init(&k, ck->name, ck->algorithm ? ck->algorithm : "hmac-sha256",
			    ck->secret ? ck->secret : "", &why) < 0) {
			nodd_fail(e, NODD_E_INVALID, "%s:%d: keys: %s: %s", cfg->path, ck->line, ck->name,
				why ? why : "invalid key");
			goto fail;
		}
		if (tsig_keyring_add(kr, &k) < 0) {
			nodd_fail(e, NODD_E_INVALID, "%s:%d: keys: %s is defined twice", cfg->path,
				ck->line, ck->name);
			goto fail;
		}
	}
	return kr;
fail:
	tsig_keyring_free(kr);
	return NULL;
}

static int ref_ok(const struct nodd_config *cfg, const struct tsig_keyring *kr, const char *what,
	const char *name, int line, struct nodd_err *e)
{
	if (!name || tsig_keyring_find_text(kr, name))
		return 1;
	nodd_fail(e, NODD_E_NOTFOUND, "%s:%d: %s: no key named %s in keys or their files",
		cfg->path, line, what, name);
	return 0;
}

/* Inline key names are checked by config.c as the file is read; the names a key file
 * brings are only known once it is read, here. */
int keys_check_refs(const struct nodd_config *cfg, const struct tsig_keyring *kr,
	struct nodd_err *e)
{
	for (int i = 0; i < cfg->nxfr_allow; i++)
		if (!ref_ok(cfg, kr, "transfer.allow.key", cfg->xfr_allow[i].key,
			    cfg->xfr_allow[i].line, e))
			return -1;
	for (int i = 0; i < cfg->nnotify; i++)
		if (!ref_ok(cfg, kr, "transfer.notify.key", cfg->notify[i].key, cfg->notify[i].line, e))
			return -1;
	for (int i = 0; i < cfg->nupstreams; i++)
		if (!ref_ok(cfg, kr, "upstreams.key", cfg->upstreams[i].key, cfg->upstreams[i].line, e))
			return -1;
	return 0;
}

struct tsig_keyring *keys_load_checked(const struct nodd_config *cfg, struct nodd_err *e)
{
	struct tsig_keyring *kr = keys_load(cfg, e);
	if (kr && keys_check_refs(cfg, kr, e) < 0) {
		tsig_keyring_free(kr);
		return NULL;
	}
	return kr;
}
