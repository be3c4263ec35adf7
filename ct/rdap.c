/* rdap.c -- the registration date of an RDAP domain answer (see rdap.h). The answer comes
 * from a server on the internet: it is bounded in size and nesting before jansson reads
 * it, duplicate keys are refused, and only the fields named here are looked at. */
#include "ct/rdap.h"

#include <jansson.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Nesting allowed in an answer; real answers nest entities in entities a few levels. */
#define MAX_DEPTH 32

/* jansson has no depth limit of its own that we can set: refuse deep nesting (which
 * costs stack in its recursive parser) before parsing. Strings are skipped so brackets
 * inside them do not count. */
static int too_deep(const char *p, size_t len)
{
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > MAX_DEPTH)
				return 1;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 0;
}

static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* Written here because strptime has no portable way to read an RFC 3339 offset and
 * fraction, and the grammar is small (RFC 3339 section 5.6). */
int ct_rdap_time(const char *s, int64_t *t)
{
	int Y, M, D, h, m, sec;
	if (strlen(s) < 20 || digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
	    s[7] != '-' || digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' ||
	    digits(s + 17, 2, &sec))
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 || Y < 1970)
		return -1;
	const char *p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p)
		return -1;
	struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h,
		.tm_min = m, .tm_sec = sec > 59 ? 59 : sec };
	time_t u = timegm(&tm);
	if (u == (time_t)-1)
		return -1;
	*t = (int64_t)u - off;
	return 0;
}

/* The ldhName (or unicodeName's A-label twin) must be the name asked: a server answering
 * for another name (a redirect gone wrong, a parent's object) says nothing about ours. */
static int same_name(json_t *o, const char *domain)
{
	json_t *v = json_object_get(o, "ldhName");
	if (!v)
		return 1; /* optional in RFC 9083; the lookup was for this name */
	if (!json_is_string(v))
		return 0;
	const char *n = json_string_value(v);
	size_t nl = json_string_length(v), dl = strlen(domain);
	if (nl == dl + 1 && n[dl] == '.')
		nl = dl; /* a trailing dot */
	return nl == dl && strncasecmp(n, domain, dl) == 0;
}

int ct_rdap_parse(const char *body, size_t len, const char *domain, enum ct_rdap_answer *out,
	int64_t *created, struct nodd_err *e)
{
	if (len > CT_RDAP_MAX_BODY)
		return nodd_fail(e, NODD_E_LIMIT, "RDAP answer of %zu bytes (at most %d)", len,
			CT_RDAP_MAX_BODY);
	if (too_deep(body, len))
		return nodd_fail(e, NODD_E_LIMIT, "RDAP answer nested deeper than %d", MAX_DEPTH);
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return nodd_fail(e, NODD_E_INVALID, "RDAP answer is not JSON: %.100s", je.text);
	int rc = -1;
	json_t *cls = json_object_get(o, "objectClassName");
	if (!json_is_object(o) || !json_is_string(cls) ||
	    strcmp(json_string_value(cls), "domain") != 0) {
		nodd_fail(e, NODD_E_INVALID, "RDAP answer is not a domain object");
		goto out;
	}
	if (!same_name(o, domain)) {
		nodd_fail(e, NODD_E_INVALID, "RDAP answer is for another name than %s", domain);
		goto out;
	}
	*out = CT_RDAP_NO_EVENT;
	json_t *ev = json_object_get(o, "events");
	if (ev && !json_is_array(ev)) {
		nodd_fail(e, NODD_E_INVALID, "RDAP answer: events is not an array");
		goto out;
	}
	size_t i;
	json_t *x;
	json_array_foreach(ev, i, x) {
		json_t *act = json_object_get(x, "eventAction");
		if (!json_is_string(act) || strcasecmp(json_string_value(act), "registration") != 0)
			continue;
		json_t *d = json_object_get(x, "eventDate");
		int64_t t;
		if (!json_is_string(d) || json_string_length(d) > 64 ||
		    ct_rdap_time(json_string_value(d), &t) < 0) {
			nodd_fail(e, NODD_E_INVALID, "RDAP answer: unreadable registration date");
			goto out;
		}
		/* several registration events (rare): the latest is the current registration */
		if (*out != CT_RDAP_REGISTRATION || t > *created)
			*created = t;
		*out = CT_RDAP_REGISTRATION;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}
