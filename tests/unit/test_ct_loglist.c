/* test_ct_loglist.c -- ct/loglist.c on a log list v3 with every state, a tiled log, an RSA
 * log and broken logs (ct_fixtures/gen.py): the good logs are kept with their fields, each
 * broken one is skipped alone. */
#include "ct/loglist.h"
#include "tap.h"
#include "ct_fixture.h"

static const struct ct_loginfo *find(const struct ct_loginfo *l, size_t n, const char *desc)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].description, desc) == 0)
			return &l[i];
	return NULL;
}

int main(int argc, char **argv)
{
	fx_init(argc, argv);
	char path[1024];
	snprintf(path, sizeof path, "%s/loglist.json", fx_dir);
	FILE *f = fopen(path, "rb");
	static char buf[1 << 16];
	size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
	if (f)
		fclose(f);
	struct ct_loginfo *logs = NULL;
	size_t n = 0;
	struct nodd_err e = { 0, "" };
	is_int(ct_loglist_parse(buf, len, &logs, &n, &e), 0, "the list parses (%s)", e.msg);
	is_int(n, 8, "8 good logs of 12");
	static const struct { const char *desc; enum ct_logstate st; } want[] = {
		{ "usable", CT_LOG_USABLE }, { "qualified", CT_LOG_QUALIFIED },
		{ "readonly", CT_LOG_READONLY }, { "retired", CT_LOG_RETIRED },
		{ "tiled", CT_LOG_USABLE }, { "rejected", CT_LOG_REJECTED },
		{ "pending", CT_LOG_PENDING }, { "rsa", CT_LOG_USABLE },
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		const struct ct_loginfo *l = find(logs, n, want[i].desc);
		ok(l && l->state == want[i].st, "%s: state %s", want[i].desc, ct_logstate_name(want[i].st));
	}
	static const char *skipped[] = { "bad-log-id", "unknown-state", "duplicate", "no key" };
	for (size_t i = 0; i < 4; i++)
		ok(find(logs, n, skipped[i]) == NULL, "%s is skipped", skipped[i]);
	const struct ct_loginfo *l = find(logs, n, "usable");
	ok(l && !l->tiled && strcmp(l->url, "https://ct.example/usable/") == 0 && !l->monitoring_url &&
		l->mmd == 86400 && l->key_b64 && l->final_tree_size == 0, "an RFC 6962 log's fields");
	l = find(logs, n, "tiled");
	ok(l && l->tiled && !l->url && strcmp(l->monitoring_url, "https://mon.example/2026h1/") == 0 &&
		strcmp(l->submission_url, "https://log.example/2026h1/") == 0,
		"a tiled log's prefixes (a missing '/' added)");
	l = find(logs, n, "readonly");
	ok(l && l->final_tree_size == 9, "readonly: the final tree size");
	ct_loglist_free(logs, n);

	const char *bad[] = { "[]", "{\"operators\": {}}", "{", "" };
	for (int i = 0; i < 4; i++)
		is_int(ct_loglist_parse(bad[i], strlen(bad[i]), &logs, &n, &e), -1, "bad list %d: %s", i, e.msg);
	const char *empty = "{\"operators\": [{\"name\": \"x\"}, 7]}";
	is_int(ct_loglist_parse(empty, strlen(empty), &logs, &n, &e), 0, "operators without logs");
	is_int(n, 0, "... give no logs");
	ct_loglist_free(logs, n);
	is_str(ct_logstate_name(CT_LOG_READONLY), "readonly", "state names");
	return tap_done();
}
