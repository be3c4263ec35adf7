/* bootstrap.c -- RDAP bootstrap for DNS (see bootstrap.h). The file is
 * {"services": [[["tld", ...], ["https://rdap.example/", ...]], ...]}; each suffix maps to
 * one base URL. A suffix list of a few thousand entries is searched linearly per lookup:
 * lookups happen at the RDAP request rate (a few a second), not per certificate. */
#include "ct/bootstrap.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/grow.h"

struct entry {
	char *suffix;   /* lowercase, no dots at the ends */
	size_t len;
	const char *url;
};

struct ct_bootstrap {
	struct entry *v;
	size_t n;
	char **urls;
	size_t nurls;
};

void ct_bootstrap_free(struct ct_bootstrap *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].suffix);
	for (size_t i = 0; i < b->nurls; i++)
		free(b->urls[i]);
	free(b->v);
	free(b->urls);
	free(b);
}

size_t ct_bootstrap_count(const struct ct_bootstrap *b) { return b ? b->n : 0; }

/* The service's URL: the first https one, else the first http one, with a trailing '/'. */
static char *pick_url(json_t *urls)
{
	const char *best = NULL;
	size_t i;
	json_t *u;
	json_array_foreach(urls, i, u) {
		const char *s = json_string_value(u);
		if (!s || json_string_length(u) > 1024 || strlen(s) != json_string_length(u))
			continue;
		if (strncasecmp(s, "https://", 8) == 0) {
			best = s;
			break;
		}
		if (!best && strncasecmp(s, "http://", 7) == 0)
			best = s;
	}
	if (!best)
		return NULL;
	size_t l = strlen(best);
	char *out = malloc(l + 2);
	if (!out)
		return NULL;
	memcpy(out, best, l + 1);
	if (l && best[l - 1] != '/')
		memcpy(out + l, "/", 2);
	return out;
}

static int add_suffix(struct ct_bootstrap *b, json_t *t, const char *url, size_t *cap)
{
	const char *s = json_string_value(t);
	if (!s || strlen(s) != json_string_length(t) || json_string_length(t) > 253)
		return 0;
	while (*s == '.')
		s++;
	size_t l = strlen(s);
	while (l && s[l - 1] == '.')
		l--;
	if (!l)
		return 0;
	if (grow_array(&b->v, cap, b->n + 1, sizeof *b->v) < 0)
		return -1;
	char *suf = strndup(s, l);
	if (!suf)
		return -1;
	for (char *p = suf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	b->v[b->n++] = (struct entry){ .suffix = suf, .len = l, .url = url };
	return 0;
}

struct ct_bootstrap *ct_bootstrap_parse(const char *json, size_t len, struct nodd_err *e)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	if (!root) {
		nodd_fail(e, NODD_E_INVALID, "RDAP bootstrap: not JSON: %.100s", je.text);
		return NULL;
	}
	json_t *svc = json_object_get(root, "services");
	if (!json_is_array(svc)) {
		json_decref(root);
		nodd_fail(e, NODD_E_INVALID, "RDAP bootstrap: no services array");
		return NULL;
	}
	struct ct_bootstrap *b = nodd_calloc(1, sizeof *b, e);
	if (!b) {
		json_decref(root);
		return NULL;
	}
	b->urls = calloc(json_array_size(svc) + 1, sizeof *b->urls);
	size_t cap = 0, i;
	json_t *s;
	if (!b->urls)
		goto nomem;
	json_array_foreach(svc, i, s) {
		json_t *tlds = json_array_get(s, 0), *urls = json_array_get(s, 1);
		if (!json_is_array(tlds) || !json_is_array(urls))
			continue;
		char *url = pick_url(urls);
		if (!url)
			continue;
		b->urls[b->nurls++] = url;
		size_t j;
		json_t *t;
		json_array_foreach(tlds, j, t)
			if (add_suffix(b, t, url, &cap) < 0)
				goto nomem;
	}
	json_decref(root);
	return b;
nomem:
	json_decref(root);
	ct_bootstrap_free(b);
	nodd_fail(e, NODD_E_NOMEM, "out of memory");
	return NULL;
}

const char *ct_bootstrap_lookup(const struct ct_bootstrap *b, const char *domain)
{
	if (!b)
		return NULL;
	size_t dl = strlen(domain), best = 0;
	const char *url = NULL;
	for (size_t i = 0; i < b->n; i++) {
		const struct entry *x = &b->v[i];
		if (x->len <= best || x->len > dl)
			continue;
		/* the whole name, or a label boundary before the suffix */
		if ((x->len == dl || domain[dl - x->len - 1] == '.') &&
		    strcasecmp(domain + dl - x->len, x->suffix) == 0) {
			best = x->len;
			url = x->url;
		}
	}
	return url;
}
