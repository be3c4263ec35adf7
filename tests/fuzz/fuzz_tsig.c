/* fuzz_tsig.c -- libFuzzer target: arbitrary bytes into the server-side TSIG verifier, the
 * error-response signer and the client-side stream verifier, with a fixed keyring and clock.
 * Seeds in tests/fuzz/corpus/tsig/ are signed with these keys at FUZZ_TSIG_NOW. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tsig.h"

#define FUZZ_TSIG_NOW 1700000000ULL

static struct tsig_keyring *fuzz_keyring(void)
{
	static struct tsig_keyring *kr;
	if (kr)
		return kr;
	struct tsig_key k;
	const char *why;
	kr = tsig_keyring_new();
	if (!kr)
		abort();
	if (tsig_key_init(&k, "xfr.key", "hmac-sha256",
		"a2V5LXNlY3JldC1mb3Itbm9kZC11bml0LXRlc3RzLTI1Ng==", &why) < 0 ||
		tsig_keyring_add(kr, &k) != TSIG_OK)
		abort();
	if (tsig_key_init(&k, "xfr-512.example", "hmac-sha512",
		"c2VjcmV0LWZvci1ub2RkLXRzaWctdW5pdC10ZXN0cy1obWFjLXNoYTUxMi1rZXktbWF0ZXJpYWwhIQ==",
		&why) < 0 || tsig_keyring_add(kr, &k) != TSIG_OK)
		abort();
	return kr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsig_keyring *kr = fuzz_keyring();
	struct tsig_result res;
	enum tsig_verdict v = tsig_verify_request(kr, data, size, FUZZ_TSIG_NOW, &res);

	/* Invariants: a verified request has a key, a full-policy MAC and a TSIG inside it. */
	if (v == TSIG_V_OK && (!res.key || res.msg_len >= size || res.mac.len < 10))
		abort();
	if (v == TSIG_V_UNSIGNED && res.msg_len != size)
		abort();

	/* Answer it as a server would (copy: the signer writes in place). */
	if (v != TSIG_V_UNSIGNED && v != TSIG_V_FORMERR && size >= 12 && size <= 4096) {
		static uint8_t out[4096 + 1024];
		size_t ol;
		memcpy(out, data, res.msg_len >= 12 ? res.msg_len : 12);
		out[10] = out[11] = 0; /* a reply without additional records */
		if (tsig_sign_response(&res, out, res.msg_len >= 12 ? res.msg_len : 12, sizeof out,
			FUZZ_TSIG_NOW, &ol) != TSIG_OK && v == TSIG_V_OK)
			abort();
	}

	/* The same bytes as a reply to a request we signed with the sha256 key. */
	struct tsig_verifier ver;
	struct tsig_mac reqmac = { .len = 32 };
	memset(reqmac.data, 0x5a, sizeof reqmac.data);
	if (tsig_verifier_init(&ver, tsig_keyring_get(kr, 0), &reqmac) == TSIG_OK) {
		/* Twice: the second message exercises the prior-MAC chain and unsigned runs. */
		tsig_verifier_feed(&ver, data, size, FUZZ_TSIG_NOW, &res);
		tsig_verifier_feed(&ver, data, size, FUZZ_TSIG_NOW, &res);
		tsig_verifier_end(&ver);
	}
	tsig_verifier_deinit(&ver);
	return 0;
}
