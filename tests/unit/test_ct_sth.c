/* test_ct_sth.c -- ct/sth.c: log keys, get-sth with ECDSA and RSA signatures good and bad,
 * the checkpoint key ID and a signed note among other signers, get-entries and proof
 * bodies, the strict base64 of log data (fixtures from ct_fixtures/gen.py). */
#include "ct/leaf.h"
#include "ct/sth.h"
#include "tap.h"
#include "ct_fixture.h"

static void test_keys(json_t *s)
{
	struct nodd_err e = { 0, "" };
	struct ct_logkey *k = ct_logkey_new(fx_str(s, "ec_key"), &e);
	ok(k != NULL, "an ECDSA P-256 key loads (%s)", e.msg);
	uint8_t id[32];
	fx_hash(fx_str(s, "ec_log_id"), id);
	ok(k && memcmp(ct_logkey_id(k), id, 32) == 0, "its log ID is SHA-256 of the SPKI");
	ct_logkey_free(k);
	k = ct_logkey_new(fx_str(s, "rsa_key"), &e);
	ok(k != NULL, "an RSA 2048 key loads (%s)", e.msg);
	ct_logkey_free(k);
	ok(ct_logkey_new(fx_str(s, "p384_key"), &e) == NULL, "a P-384 key is refused");
	is_str(e.msg, "log key: EC curve secp384r1, CT logs use P-256", "... and said");
	ok(ct_logkey_new("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", &e) == NULL, "a cut SPKI is refused");
	is_str(e.msg, "log key: not a DER SubjectPublicKeyInfo", "... and said");
	ok(ct_logkey_new("not base64!", &e) == NULL, "text that is not base64 is refused");
	ct_logkey_free(NULL);
}

static void test_sth(json_t *s)
{
	const char *keys[] = { "ec", "rsa" };
	uint8_t root[32];
	fx_hash(fx_str(s, "root9"), root);
	for (int i = 0; i < 2; i++) {
		char name[32];
		struct nodd_err e = { 0, "" };
		snprintf(name, sizeof name, "%s_key", keys[i]);
		struct ct_logkey *k = ct_logkey_new(fx_str(s, name), &e);
		struct ct_sth sth = { 0 };
		snprintf(name, sizeof name, "%s_good", keys[i]);
		const char *body = fx_str(s, name);
		is_int(ct_sth_parse_json(body, strlen(body), k, &sth, &e), 0, "%s: a good STH verifies (%s)",
			keys[i], e.msg);
		ok(sth.tree_size == 9 && sth.timestamp_ms == 1767225600999ULL &&
			memcmp(sth.root, root, 32) == 0, "%s: size, timestamp and root read", keys[i]);
		snprintf(name, sizeof name, "%s_bad", keys[i]);
		body = fx_str(s, name);
		is_int(ct_sth_parse_json(body, strlen(body), k, &sth, &e), -1,
			"%s: an STH signed over another size is refused", keys[i]);
		is_int(e.kind, NODD_E_PEER, "%s: ... as the peer's fault", keys[i]);
		is_str(e.msg, "get-sth of size 9: signature does not verify with the log key", "... and said");
		ct_logkey_free(k);
	}
	struct nodd_err e = { 0, "" };
	struct ct_logkey *ec = ct_logkey_new(fx_str(s, "ec_key"), &e);
	struct ct_logkey *rsa = ct_logkey_new(fx_str(s, "rsa_key"), &e);
	struct ct_sth sth;
	const char *body = fx_str(s, "ec_good");
	is_int(ct_sth_parse_json(body, strlen(body), rsa, &sth, &e), -1, "an ECDSA STH with an RSA key is refused");
	is_str(e.msg, "get-sth of size 9: signature: algorithm 3, the log key wants 1", "... and said");
	const char *bad[] = {
		"{\"tree_size\": -1, \"timestamp\": 1, \"sha256_root_hash\": \"\", \"tree_head_signature\": \"\"}",
		"{\"tree_size\": 1, \"timestamp\": 1, \"sha256_root_hash\": \"AAAA\", \"tree_head_signature\": \"\"}",
		"[1]", "{", "{\"tree_size\": 1, \"tree_size\": 2}",
	};
	const char *why[] = {
		"get-sth: \"tree_size\" is not a non-negative integer",
		"get-sth: \"sha256_root_hash\" has 3 bytes, want 32",
		"get-sth: not a JSON object",
	};
	for (int i = 0; i < 5; i++) {
		is_int(ct_sth_parse_json(bad[i], strlen(bad[i]), ec, &sth, &e), -1, "bad get-sth %d refused", i);
		if (i < 3)
			is_str(e.msg, why[i], "... and said");
	}
	ct_logkey_free(ec);
	ct_logkey_free(rsa);
}

static void test_checkpoint(json_t *s)
{
	struct nodd_err e = { 0, "" };
	struct ct_logkey *k = ct_logkey_new(fx_str(s, "ec_key"), &e);
	const char *origin = fx_str(s, "origin");
	uint8_t kid[4], want[32];
	ct_checkpoint_keyid(origin, ct_logkey_id(k), kid);
	fx_hash(fx_str(s, "keyid"), want);
	ok(memcmp(kid, want, 4) == 0, "key ID = SHA-256(origin 0A 05 log_id)[:4]");
	const char *cp = fx_str(s, "checkpoint");
	struct ct_sth sth = { 0 };
	is_int(ct_checkpoint_parse(cp, strlen(cp), origin, k, &sth, &e), 0,
		"a checkpoint with a grease line and a foreign key ID verifies (%s)", e.msg);
	fx_hash(fx_str(s, "root9"), want);
	ok(sth.tree_size == 9 && memcmp(sth.root, want, 32) == 0 &&
		sth.timestamp_ms == (uint64_t)json_integer_value(json_object_get(s, "checkpoint_ts")),
		"size, root and the signature's timestamp read");
	is_int(ct_checkpoint_parse(cp, strlen(cp), "log.example/other", k, &sth, &e), -1,
		"another origin is refused");
	is_str(e.msg, "checkpoint: origin \"log.example/2026h1\", want \"log.example/other\"", "... and said");
	const char *bad = fx_str(s, "checkpoint_badsig");
	is_int(ct_checkpoint_parse(bad, strlen(bad), origin, k, &sth, &e), -1, "a bad signature is refused");
	is_int(e.kind, NODD_E_PEER, "... as the peer's fault (%s)", e.msg);
	const char *none = fx_str(s, "checkpoint_unsigned");
	is_int(ct_checkpoint_parse(none, strlen(none), origin, k, &sth, &e), -1, "no signature by the log");
	is_int(e.kind, NODD_E_NOTFOUND, "... not found (%s)", e.msg);
	is_int(ct_checkpoint_parse(cp, strlen(cp) - 1, origin, k, &sth, &e), -1, "a missing last newline");
	/* an extension line after the root */
	char ext[4096];
	const char *blank = strstr(cp, "\n\n");
	snprintf(ext, sizeof ext, "%.*s\next\n%s", (int)(blank - cp), cp, blank + 1);
	is_int(ct_checkpoint_parse(ext, strlen(ext), origin, k, &sth, &e), -1, "an extension line is refused");
	ok(strstr(e.msg, "allows no extension lines") != NULL, "... and said: %s", e.msg);
	const char *sizes[] = { "log.example/2026h1\n09\n", "log.example/2026h1\n18446744073709551616\n",
		"log.example/2026h1\n-1\n", "log.example/2026h1\n\n" };
	for (int i = 0; i < 4; i++) {
		ct_checkpoint_parse(sizes[i], strlen(sizes[i]), origin, k, &sth, &e);
		is_str(e.msg, "checkpoint: the second line is not a tree size", "bad size %d", i);
	}
	char o[64];
	ct_origin_from_url("https://log.example/2026h1/", o, sizeof o);
	is_str(o, "log.example/2026h1", "origin from the submission URL");
	is_int(ct_origin_from_url("https://log.example/2026h1/", o, 10), -1, "no room: -1");
	ct_logkey_free(k);
}

struct ents {
	int n, x509, precert;
};

static int count_entry(void *ctx, const uint8_t *leaf, size_t len, const uint8_t *extra, size_t elen)
{
	struct ents *c = ctx;
	struct ct_leaf l;
	(void)extra;
	c->n++;
	if (ct_leaf_parse(leaf, len, &l, NULL) == 0)
		*(l.entry_type == CT_ENTRY_X509 ? &c->x509 : &c->precert) += elen > 3;
	return 0;
}

static int stop_entry(void *ctx, const uint8_t *leaf, size_t len, const uint8_t *extra, size_t elen)
{
	(void)leaf, (void)len, (void)extra, (void)elen;
	return ++*(int *)ctx;
}

static void test_entries(json_t *c)
{
	const char *body = fx_str(c, "get_entries");
	struct ents n = { 0 };
	struct nodd_err e = { 0, "" };
	is_int(ct_entries_parse_json(body, strlen(body), count_entry, &n, &e), 2, "get-entries: 2 entries");
	ok(n.n == 2 && n.x509 == 0 && n.precert == 1, "the final cert, and the precert with its chain entry");
	int calls = 0;
	is_int(ct_entries_parse_json(body, strlen(body), stop_entry, &calls, &e), -1, "a callback stops it");
	is_int(calls, 1, "... at the first entry");
	const char *bad[] = { "{\"entries\": {}}", "{\"entries\": [{\"leaf_input\": \"AA=A\", \"extra_data\": \"\"}]}",
		"{\"entries\": [{\"leaf_input\": \"\"}]}", "{\"entries\": [1]}" };
	const char *why[] = { "get-entries: no \"entries\" array",
		"get-entries: entry 0: \"leaf_input\" is not base64",
		"get-entries: entry 0: no string \"extra_data\"", "get-entries: entry 0 is not an object" };
	for (int i = 0; i < 4; i++) {
		is_int(ct_entries_parse_json(bad[i], strlen(bad[i]), count_entry, &n, &e), -1, "bad get-entries %d", i);
		is_str(e.msg, why[i], "... and said");
	}
	const char *empty = "{\"entries\": []}";
	is_int(ct_entries_parse_json(empty, strlen(empty), count_entry, &n, &e), 0, "no entries: 0");
}

static void test_proofs(void)
{
	uint8_t path[3][32], *leaf = NULL;
	size_t np = 99, ll = 0;
	struct nodd_err e = { 0, "" };
	const char *h = "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"";
	char body[512];
	snprintf(body, sizeof body, "{\"consistency\": [%s, %s]}", h, h);
	is_int(ct_proof_parse_json(body, strlen(body), path, 3, &np, NULL, NULL, &e), 0, "a consistency proof");
	is_int(np, 2, "... of 2 hashes");
	snprintf(body, sizeof body, "{\"leaf_index\": 3, \"audit_path\": [%s, %s, %s, %s]}", h, h, h, h);
	is_int(ct_proof_parse_json(body, strlen(body), path, 3, &np, NULL, NULL, &e), -1, "over max is refused");
	is_int(e.kind, NODD_E_LIMIT, "... as a limit");
	snprintf(body, sizeof body, "{\"leaf_input\": \"AAEC\", \"extra_data\": \"\", \"audit_path\": [%s]}", h);
	is_int(ct_proof_parse_json(body, strlen(body), path, 3, &np, &leaf, &ll, &e), 0, "get-entry-and-proof");
	ok(np == 1 && ll == 3 && leaf && leaf[2] == 2, "... its path and leaf");
	free(leaf);
	snprintf(body, sizeof body, "{\"audit_path\": [\"AAAA\"]}");
	is_int(ct_proof_parse_json(body, strlen(body), path, 3, &np, NULL, NULL, &e), -1, "a short hash");
	is_str(e.msg, "proof: \"audit_path\"[0] is not a base64 32-byte hash", "... and said");
	snprintf(body, sizeof body, "{\"audit_path\": []}");
	is_int(ct_proof_parse_json(body, strlen(body), path, 3, &np, &leaf, &ll, &e), -1,
		"get-entry-and-proof without leaf_input is refused");
}

static void test_sth_time(void)
{
	struct nodd_err e = { 0, "" };
	/* 2026-01-01T00:00:00.500Z */
	struct ct_sth prev = { .tree_size = 4, .timestamp_ms = 1767225600500ULL };
	struct ct_sth s = { .tree_size = 5, .timestamp_ms = prev.timestamp_ms };
	int64_t now = (int64_t)prev.timestamp_ms + 1000;
	is_int(ct_sth_check_time(&prev, &s, now, &e), 0, "a head dated as the last one is accepted");
	s.timestamp_ms = prev.timestamp_ms + 1;
	is_int(ct_sth_check_time(&prev, &s, now, &e), 0, "a later head is accepted");
	is_int(ct_sth_check_time(NULL, &s, now, &e), 0, "a first head is accepted");
	s.timestamp_ms = prev.timestamp_ms - 1;
	is_int(ct_sth_check_time(&prev, &s, now, &e), -1, "a head dated 1 ms earlier is refused");
	is_int(e.kind, NODD_E_PEER, "... as the log's fault");
	is_str(e.msg, "the tree head of size 5 dated 2026-01-01T00:00:00.499Z goes back in time "
		"from the verified head of size 4 dated 2026-01-01T00:00:00.500Z", "... and said");
	s.timestamp_ms = (uint64_t)now + CT_STH_MAX_FUTURE_MS;
	is_int(ct_sth_check_time(&prev, &s, now, &e), 0, "a head 10 minutes ahead is accepted");
	s.timestamp_ms = (uint64_t)now + 3600 * 1000;
	is_int(ct_sth_check_time(&prev, &s, now, &e), -1, "a head an hour ahead is refused");
	is_str(e.msg, "the tree head of size 5 is dated 2026-01-01T01:00:01.500Z, 3600 s ahead of "
		"this host's clock (at most 600 s allowed)", "... and said");
	is_int(ct_sth_check_time(NULL, &s, now, &e), -1, "... also as a first head");
}

static void test_base64(void)
{
	uint8_t out[16];
	is_int(ct_base64_decode("AAEC", 4, out, sizeof out), 3, "log data is base64 (lib/base64.h)");
	is_int(ct_base64_decode(" AEC", 4, out, sizeof out), -1, "... strict: a space is refused");
	is_int(ct_base64_decode("AAECAAEC", 8, out, 5), -1, "no room is -1 as every refusal");
}

int main(int argc, char **argv)
{
	fx_init(argc, argv);
	json_t *s = fx_load("sth"), *c = fx_load("certs");
	test_keys(s);
	test_sth(s);
	test_checkpoint(s);
	test_sth_time();
	test_entries(c);
	test_proofs();
	test_base64();
	json_decref(s);
	json_decref(c);
	return tap_done();
}
