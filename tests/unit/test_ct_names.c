/* test_ct_names.c -- ct/names.c and ct/psl.c: the host names of real certificates and
 * precertificate TBSs (ct_fixtures/gen.py), the dedup key shared by a precertificate and its
 * final certificate, name normalisation one rule at a time, registrable domains from the
 * ICANN section of the public suffix list. */
#include "ct/names.h"
#include "tap.h"
#include "ct_fixture.h"

struct got {
	char names[16][CT_NAME_MAX];
	int n, stop_after;
};

static int collect(void *ctx, const char *fqdn)
{
	struct got *g = ctx;
	if (g->n < 16)
		snprintf(g->names[g->n], CT_NAME_MAX, "%s", fqdn);
	g->n++;
	return g->stop_after && g->n >= g->stop_after;
}

/* The names of cert (hex member key of c) as entry_type, compared with want (a JSON array). */
static void check_names(json_t *c, const char *key, int type, json_t *want, uint8_t dk[32])
{
	size_t len;
	uint8_t *der = fx_hex(c, key, &len);
	struct ct_leaf l = { .entry_type = type, .cert = der, .cert_len = len, .leaf_index = -1 };
	struct got g = { .n = 0 };
	struct nodd_err e = { 0, "" };
	int rc = ct_names_extract(&l, collect, &g, dk, &e);
	is_int(rc, json_array_size(want), "%s: %zu names (%s)", key, json_array_size(want), e.msg);
	for (size_t i = 0; i < json_array_size(want) && i < 16; i++)
		is_str(g.names[i], json_string_value(json_array_get(want, i)), "%s: name %zu", key, i);
	free(der);
}

static void test_certs(json_t *c)
{
	uint8_t k1[32], k2[32], k3[32], want[32];
	check_names(c, "names_cert", CT_ENTRY_X509, json_object_get(c, "names_expected"), k1);
	json_t *one = json_pack("[s]", "onlycn.example.net");
	check_names(c, "cn_only", CT_ENTRY_X509, one, NULL);
	json_decref(one);
	json_t *pre = json_object_get(c, "pre_expected");
	check_names(c, "precert_tbs", CT_ENTRY_PRECERT, pre, k1);
	check_names(c, "final_cert", CT_ENTRY_X509, pre, k2);
	check_names(c, "precert_full", CT_ENTRY_X509, pre, k3);
	fx_hash(fx_str(c, "dedup_key"), want);
	ok(memcmp(k1, want, 32) == 0, "the precert TBS's dedup key is SHA-256(issuer DER || serial)");
	ok(memcmp(k2, want, 32) == 0, "the final certificate has the same dedup key");
	ok(memcmp(k3, want, 32) == 0, "so has the precertificate itself");

	size_t len;
	uint8_t *der = fx_hex(c, "names_cert", &len);
	struct ct_leaf l = { .entry_type = CT_ENTRY_X509, .cert = der, .cert_len = len };
	struct got g = { .stop_after = 2 };
	struct nodd_err e = { 0, "" };
	is_int(ct_names_extract(&l, collect, &g, NULL, &e), -1, "a callback stopping ends the extraction");
	is_int(g.n, 2, "... after the name it refused");
	l.cert_len = len - 1;
	is_int(ct_names_extract(&l, collect, &g, NULL, &e), -1, "a truncated certificate is refused");
	ok(e.kind == NODD_E_INVALID && strncmp(e.msg, "certificate: ", 13) == 0, "... %s", e.msg);
	l.entry_type = CT_ENTRY_PRECERT; /* a whole certificate is no TBS */
	l.cert_len = len;
	is_int(ct_names_extract(&l, collect, &g, NULL, &e), -1, "a certificate given as a TBS is refused");
	free(der);
	uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	l = (struct ct_leaf){ .entry_type = CT_ENTRY_PRECERT, .cert = junk, .cert_len = sizeof junk };
	is_int(ct_names_extract(&l, collect, &g, NULL, &e), -1, "a TBS of a serial alone is refused");
	is_str(e.msg, "certificate: no TBSCertificate with serial, algorithm and issuer", "... and said");
}

struct name_case {
	const char *in, *out; /* out NULL: dropped, or a public suffix itself */
};

/* Each case through ct_registrable with p, or through ct_name_normalise when p is NULL. */
static void run_cases(const struct name_case *cases, size_t n, const struct ct_psl *p)
{
	for (size_t i = 0; i < n; i++) {
		char out[CT_NAME_MAX] = "";
		int rc = p ? ct_registrable(p, cases[i].in, out, sizeof out)
			: ct_name_normalise(cases[i].in, strlen(cases[i].in), out, sizeof out);
		if (cases[i].out)
			ok(rc == 1 && strcmp(out, cases[i].out) == 0, "\"%s\" -> \"%s\" (got %d \"%s\")",
				cases[i].in, cases[i].out, rc, out);
		else
			is_int(rc, 0, "\"%s\" is %s", cases[i].in, p ? "a public suffix itself" : "dropped");
	}
}

static void test_normalise(void)
{
	static const struct name_case cases[] = {
		{ "Example.COM", "example.com" },
		{ "*.example.com", "example.com" },
		{ "example.com.", "example.com" },
		{ " www.example.com ", "www.example.com" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
		{ "XN--BCHER-KVA.example", "xn--bcher-kva.example" },
		{ "a.xn--bcher-kva", "a.xn--bcher-kva" },
		{ "a-b.c--d.example", "a-b.c--d.example" },
		{ "xn--bcher-kva-.example", NULL },   /* bad Punycode */
		{ "xn--a.example", NULL },            /* decodes, not IDNA2008 */
		{ "xn--ls8h.example", NULL },         /* an emoji */
		{ "a.xn--a", NULL },
		{ "*.*.example.com", NULL },
		{ "*", NULL },
		{ "*.com", NULL },                    /* one label left */
		{ "foo*.example.com", NULL },
		{ "192.0.2.1", NULL },
		{ "1.2.3", NULL },
		{ "2001:db8::1", NULL },
		{ "example..com", NULL },
		{ ".example.com", NULL },
		{ "under_score.example", NULL },
		{ "b\xc3\xbc" "cher.example", NULL }, /* a U-label, not an A-label */
		{ "localhost", NULL },
		{ "", NULL },
		{ "...", NULL },
		{ "Example Corp", NULL },
	};
	run_cases(cases, sizeof cases / sizeof *cases, NULL);
	char label63[80], label64[80], name[300], out[CT_NAME_MAX];
	memset(label63, 'a', 63);
	strcpy(label63 + 63, ".com");
	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".com");
	is_int(ct_name_normalise(label63, strlen(label63), out, sizeof out), 1, "a 63-character label is kept");
	is_int(ct_name_normalise(label64, strlen(label64), out, sizeof out), 0, "a 64-character label is dropped");
	for (int i = 0; i < 63; i++)
		memcpy(name + 4 * i, "abc.", 4);
	memcpy(name + 252, "z", 2); /* 253 characters */
	is_int(ct_name_normalise(name, 253, out, sizeof out), 1, "a 253-character name is kept");
	memcpy(name + 252, "zz", 3);
	is_int(ct_name_normalise(name, 254, out, sizeof out), 0, "a 254-character name is dropped");
	is_int(ct_name_normalise("example.com", 11, out, 11), 0, "no room for the NUL: dropped");
	is_int(ct_name_normalise("example.com\0evil.org", 20, out, sizeof out), 0, "an embedded NUL is dropped");
}

static void test_psl(void)
{
	struct nodd_err e = { 0, "" };
	struct ct_psl *p = ct_psl_open(NULL, &e);
	ok(p != NULL, "the system public suffix list loads (%s)", e.msg);
	if (!p)
		return;
	static const struct name_case cases[] = {
		{ "user.github.io", "github.io" },      /* a PRIVATE suffix is not a registry */
		{ "github.io", "github.io" },
		{ "shop.newdomain.co.uk", "newdomain.co.uk" },
		{ "newdomain.co.uk", "newdomain.co.uk" },
		{ "a.b.c.example.com", "example.com" },
		{ "foo.bar.nonexistenttld", "bar.nonexistenttld" },
		{ "bar.nonexistenttld", "bar.nonexistenttld" },
		{ "www.xn--bcher-kva.ch", "xn--bcher-kva.ch" },
		{ "a.b.foo.ck", "b.foo.ck" },           /* *.ck: every second-level name is a suffix */
		{ "a.www.ck", "www.ck" },               /* !www.ck */
		{ "co.uk", NULL },
		{ "com", NULL },
		{ "nonexistenttld", NULL },
		{ "foo.ck", NULL },
	};
	run_cases(cases, sizeof cases / sizeof *cases, p);
	char small[8];
	is_int(ct_registrable(p, "a.example.com", small, sizeof small), 0, "no room: 0");
	ct_psl_close(p);
	ct_psl_close(NULL);
	ok(ct_psl_open("/nonexistent/psl.dat", &e) == NULL && e.kind == NODD_E_INVALID,
		"a list that cannot be read is refused: %s", e.msg);
}

int main(int argc, char **argv)
{
	fx_init(argc, argv);
	json_t *c = fx_load("certs");
	test_certs(c);
	test_normalise();
	test_psl();
	json_decref(c);
	return tap_done();
}
