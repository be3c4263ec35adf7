/* fuzz_ctjson.c -- libFuzzer target: what a CT log answers, as text. The first byte picks
 * the parser: 0 get-sth, 1 a checkpoint (origin log.example/2026h1), 2 get-entries (each
 * leaf then parsed), 3 a proof with leaf_input, else a consistency proof then checked
 * against zero roots. The log key is fixed (the seeds in corpus/ctjson are signed with its
 * private half, derived in tests/unit/ct_fixtures/gen.py). Checked: a failure has a kind
 * and a message; a success returns what it counted. */
#include <stdlib.h>
#include <string.h>

#include "ct/leaf.h"
#include "ct/merkle.h"
#include "ct/sth.h"

static const char fuzz_key[] = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEwlxvYjSDGAe69YAHA7AuTnfEkfUQ"
	"dOx5s4kxmJ8o2wO2Vn8GmFiXlY6uP9WiErnjhCl1IpAmTZBZC3NqgSN5ug==";
static struct ct_logkey *key;

static int entry(void *ctx, const uint8_t *leaf, size_t len, const uint8_t *extra, size_t elen)
{
	struct ct_leaf l;
	(void)extra;
	(void)elen;
	(*(int *)ctx)++;
	ct_leaf_parse(leaf, len, &l, NULL);
	return 0;
}

static void failed(const struct nodd_err *e)
{
	if (e->kind == NODD_OK || e->msg[0] == '\0')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!key && !(key = ct_logkey_new(fuzz_key, NULL)))
		abort();
	if (size == 0)
		return 0;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	struct nodd_err e = { NODD_OK, "" };
	struct ct_sth sth;
	uint8_t path[CT_PROOF_MAX][32], *leaf = NULL, zero[32] = { 0 };
	size_t np = 0, ll = 0;
	int calls = 0, rc;
	switch (data[0]) {
	case 0:
		if (ct_sth_parse_json(body, len, key, &sth, &e) < 0)
			failed(&e);
		break;
	case 1:
		if (ct_checkpoint_parse(body, len, "log.example/2026h1", key, &sth, &e) < 0)
			failed(&e);
		break;
	case 2:
		rc = ct_entries_parse_json(body, len, entry, &calls, &e);
		if (rc < 0)
			failed(&e);
		else if (rc != calls)
			abort();
		break;
	case 3:
		if (ct_proof_parse_json(body, len, path, CT_PROOF_MAX, &np, &leaf, &ll, &e) < 0)
			failed(&e);
		else if (np > CT_PROOF_MAX || !leaf)
			abort();
		free(leaf);
		break;
	default:
		if (ct_proof_parse_json(body, len, path, CT_PROOF_MAX, &np, NULL, NULL, &e) < 0) {
			failed(&e);
			break;
		}
		/* no proof reaches an all-zero root (that would be a SHA-256 preimage) */
		if (np > 0 && ct_verify_consistency(data[0], 1000, zero, zero,
				(const uint8_t (*)[32])path, np))
			abort();
		ct_verify_inclusion(data[0], 1000, zero, zero, (const uint8_t (*)[32])path, np);
		break;
	}
	return 0;
}
