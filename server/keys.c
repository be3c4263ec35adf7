/* keys.c -- TSIG keyring from the configuration (key files through zones/keyfile.c). */
#include "server/keys.h"

#include "zones/keyfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tsig_keyring *keys_load(const struct nodd_config *cfg, char *err, size_t errlen)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	if (!kr) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (int i = 0; i < cfg->nkeys; i++) {
		const struct config_key *ck = &cfg->keys[i];
		if (ck->file) {
			char e[700];
			if (keyfile_load(ck->file, kr, e, sizeof e) < 0) {
				snprintf(err, errlen, "%s:%d: keys: %s", cfg->path, ck->line, e);
				goto fail;
			}
			continue;
		}
		struct tsig_key k;
		const char *why = NULL;
		if (tsig_key_init(&k, ck->name, ck->algorithm ? ck->algorithm : "hmac-sha256",
			    ck->secret ? ck->secret : "", &why) < 0) {
			snprintf(err, errlen, "%s:%d: keys: %s: %s", cfg->path, ck->line, ck->name,
				why ? why : "invalid key");
			goto fail;
		}
		if (tsig_keyring_add(kr, &k) < 0) {
			snprintf(err, errlen, "%s:%d: keys: %s is defined twice", cfg->path, ck->line, ck->name);
			goto fail;
		}
	}
	return kr;
fail:
	tsig_keyring_free(kr);
	return NULL;
}
