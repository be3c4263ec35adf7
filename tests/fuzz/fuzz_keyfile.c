/* fuzz_keyfile.c -- libFuzzer target: arbitrary bytes as a BIND key file (lib/keyfile.h),
 * the one text parser of nodd's own that reads files from elsewhere (registries publish
 * them). A parse either adds exactly the keys it counts, or adds none and says where. */
#include <stdlib.h>
#include <string.h>

#include "lib/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	if (!kr)
		abort();
	struct nodd_err err = { NODD_OK, "" };
	int rc = keyfile_parse((const char *)data, size, "fuzz.key", kr, &err);
	if (rc < 0) {
		/* "FILE:LINE: message" of the text's fault, and nothing added */
		if (err.kind != NODD_E_INVALID || strncmp(err.msg, "fuzz.key:", 9) != 0 ||
			tsig_keyring_count(kr) != 0)
			abort();
	} else if ((size_t)rc != tsig_keyring_count(kr)) {
		abort();
	}
	tsig_keyring_free(kr);
	return 0;
}
