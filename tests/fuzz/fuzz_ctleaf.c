/* fuzz_ctleaf.c -- libFuzzer target: a CT log entry as bytes, then its certificate's names.
 * The first byte modulo 4 picks the form: 0 an RFC 6962 MerkleTreeLeaf (ct_leaf_parse), 1 a
 * static-ct-api data tile read leaf by leaf (ct_tileleaf_next), 2 a name as a certificate
 * carries it (ct_name_normalise), 3 a precertificate TBS alone. Every leaf that parses goes
 * through ct_names_extract and each name through ct_registrable. Checked: a failure says
 * why, a tile read never moves backwards or past its end, every name given is already in
 * normal form and unique within its certificate. */
#include <stdlib.h>
#include <string.h>

#include "ct/leaf.h"
#include "ct/names.h"

static struct ct_psl *psl;

struct seen {
	char names[64][CT_NAME_MAX];
	int n;
};

static int check_name(void *ctx, const char *fqdn)
{
	struct seen *s = ctx;
	char again[CT_NAME_MAX], reg[CT_NAME_MAX];
	size_t len = strlen(fqdn);
	if (len == 0 || len > 253 || ct_name_normalise(fqdn, len, again, sizeof again) != 1 ||
		strcmp(again, fqdn) != 0)
		abort();
	for (int i = 0; i < s->n && i < 64; i++)
		if (strcmp(s->names[i], fqdn) == 0)
			abort();
	if (s->n < 64)
		memcpy(s->names[s->n], fqdn, len + 1);
	s->n++;
	if (ct_registrable(psl, fqdn, reg, sizeof reg) == 1) {
		size_t rl = strlen(reg);
		/* the registrable domain is a suffix of the name, at a label boundary */
		if (rl > len || strcmp(fqdn + len - rl, reg) != 0 || (rl < len && fqdn[len - rl - 1] != '.'))
			abort();
	}
	return 0;
}

static void names(const struct ct_leaf *l)
{
	struct seen s = { .n = 0 };
	struct nodd_err e = { NODD_OK, "" };
	uint8_t key[32];
	int rc = ct_names_extract(l, check_name, &s, key, &e);
	if (rc < 0 ? (e.kind == NODD_OK || e.msg[0] == '\0') : rc != s.n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!psl && !(psl = ct_psl_open(NULL, NULL)))
		abort();
	if (size == 0)
		return 0;
	struct ct_leaf l;
	struct nodd_err e = { NODD_OK, "" };
	if (data[0] % 4 == 2) {
		char out[CT_NAME_MAX];
		if (ct_name_normalise((const char *)data + 1, size - 1, out, sizeof out) == 1)
			check_name(&(struct seen){ .n = 0 }, out);
		return 0;
	}
	if (data[0] % 4 == 3) {
		l = (struct ct_leaf){ .entry_type = CT_ENTRY_PRECERT, .cert = data + 1,
			.cert_len = size - 1, .leaf_index = -1 };
		names(&l);
		return 0;
	}
	if (data[0] % 4 == 0) {
		if (ct_leaf_parse(data + 1, size - 1, &l, &e) == 0)
			names(&l);
		else if (e.kind != NODD_E_INVALID || e.msg[0] == '\0')
			abort();
		return 0;
	}
	const uint8_t *p = data + 1;
	size_t left = size - 1;
	for (int rc; (rc = ct_tileleaf_next(&p, &left, &l, &e)) != 0;) {
		if (rc < 0) {
			if (e.kind != NODD_E_INVALID || left == 0)
				abort();
			break;
		}
		if (p > data + size || (size_t)(data + size - p) != left)
			abort();
		names(&l);
	}
	return 0;
}
