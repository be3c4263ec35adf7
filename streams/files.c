/* files.c -- the RPZ zone files and the rbldnsd dnset file (see files.h), each written as
 * temp file + rename. Formats names and records; never decides what is listed beyond the
 * window arithmetic of policy/window.h. */
#include "streams/files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dname.h"

struct wctx {
	FILE *f;
	int64_t now, w;
	int dnsbl;
	const struct files_params *p;
};

static int ends_in_invalid(const char *t)
{
	size_t l = strlen(t);
	return (l == 7 && strcmp(t, "invalid") == 0) ||
	       (l > 8 && strcmp(t + l - 8, ".invalid") == 0);
}

static void rec_cb(void *ctx, const uint8_t *rel, size_t len, int64_t fs)
{
	struct wctx *c = ctx;
	if (c->now - fs >= c->w)
		return;
	char t[DNAME_MAX_TEXT * 4 + 8];
	if (allow_match_now(c->p->allow, rel, len) || dname_wire_to_text(rel, len, t, sizeof t) < 0)
		return;
	if (c->dnsbl) {
		if (ends_in_invalid(t))
			return;
		/* ".name" lists the name and its subdomains (rbldnsd(8) dnset); "name" the name
		 * only, when the allow-list holds "*.name". */
		fprintf(c->f, "%s%s :127.0.0.%d:first_seen=%lld\n",
			allow_has_wildcard(c->p->allow, rel, len) ? "" : ".", t,
			window_code(c->now - fs), (long long)fs);
	} else {
		const char *target = c->p->rpz_nodata ? "*." : ".";
		fprintf(c->f, "%s\tCNAME\t%s\n*.%s\tCNAME\t%s\n", t, target, t, target);
	}
}

static int mkdir_p(const char *dir)
{
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* Write path via a temp file in the same directory, created by mkstemp (O_CREAT|O_EXCL:
 * a name planted there, a symlink included, is never opened, whatever its name), given
 * FILES_MODE and renamed over path (rename replaces a symlink at path, never follows it).
 * body() fills the file. */
static int write_atomic(const char *path, int (*body)(FILE *, void *), void *arg,
	struct nodd_err *e)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= sizeof tmp)
		return nodd_fail(e, NODD_E_INVALID, "%s: path too long", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return nodd_fail(e, NODD_E_SYSTEM, "%s: %s", tmp, strerror(errno));
	FILE *f = fchmod(fd, FILES_MODE) == 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		nodd_fail(e, NODD_E_SYSTEM, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	int rc = body(f, arg);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	if (rc < 0 || rename(tmp, path) < 0) {
		nodd_fail(e, NODD_E_SYSTEM, "%s: %s", path, strerror(errno ? errno : EIO));
		unlink(tmp);
		return -1;
	}
	return 0;
}

struct body_arg {
	const struct files_params *p;
	nindex_t *ix;
	int64_t now;
	int zone;
};

/* A master file's head: comment, $ORIGIN, $TTL, the apex SOA and NS of zone. */
static void master_head(FILE *f, const struct files_params *p, int zone, const char *what)
{
	char name[600];
	published_zone_name(zone, p->suffix, name, sizeof name);
	fprintf(f, "; %s -- written by nodd; %s\n", name, what);
	fprintf(f, "$ORIGIN %s.\n$TTL %u\n", name, p->ttl);
	fprintf(f, "@\tSOA\t%s. %s. %u %u %u %u %u\n", p->mname, p->rname, p->serial[zone],
		p->refresh, p->retry, p->expire, p->minimum);
	for (int i = 0; i < p->nns; i++)
		fprintf(f, "@\tNS\t%s.\n", p->ns[i]);
}

static int rpz_body(FILE *f, void *arg)
{
	struct body_arg *a = arg;
	const struct files_params *p = a->p;
	char what[64];
	snprintf(what, sizeof what, "names first seen in the last %s", window_label[a->zone]);
	master_head(f, p, a->zone, what);
	struct wctx c = { f, a->now, window_secs[a->zone], 0, p };
	nindex_foreach(a->ix, rec_cb, &c);
	return ferror(f) ? -1 : 0;
}

static int allow_line(void *ctx, const uint8_t *owner, size_t len, int in1, int in2)
{
	(void)in1;
	(void)in2;
	char t[DNAME_MAX_TEXT * 4 + 8];
	if (dname_wire_to_text(owner, len, t, sizeof t) >= 0)
		fprintf(ctx, "%s\tCNAME\trpz-passthru.\n", t);
	return 0;
}

/* The allow zone: one passthru per pattern of an open entry. */
static int allow_body(FILE *f, void *arg)
{
	const struct files_params *p = ((struct body_arg *)arg)->p;
	master_head(f, p, NOD_ZONE_ALLOW, "the allow-list (names never listed)");
	/* every entry still open applies at the last time before ALLOW_OPEN */
	allow_zone_walk(p->allow, ALLOW_OPEN - 1, ALLOW_OPEN - 1, allow_line, f);
	return ferror(f) ? -1 : 0;
}

static int dnset_body(FILE *f, void *arg)
{
	struct body_arg *a = arg;
	const struct files_params *p = a->p;
	char zone[600];
	published_zone_name(NOD_ZONE_DNSBL, p->suffix, zone, sizeof zone);
	fprintf(f, "# %s -- rbldnsd dnset written by nodd\n", zone);
	fprintf(f, "$SOA %u %s. %s. %u %u %u %u %u\n", p->ttl, p->mname, p->rname,
		p->serial[WINDOW_COUNT], p->refresh, p->retry, p->expire, p->minimum);
	for (int i = 0; i < p->nns; i++)
		fprintf(f, "$NS %u %s.\n", p->ttl, p->ns[i]);
	fprintf(f, "$TTL %u\n", p->ttl);
	/* RFC 5782 5: TEST listed (and, like nodd, with first_seen=0). */
	fprintf(f, "test :127.0.0.2:first_seen=0\n");
	for (int i = 0; i < p->ntests; i++) {
		fprintf(f, "%s :127.0.0.2:first_seen=0\n", p->tests[i]);
		if (strncmp(p->tests[i], "test.", 5) == 0)
			fprintf(f, "!invalid.%s\n!*.invalid.%s\n", p->tests[i] + 5, p->tests[i] + 5);
	}
	struct wctx c = { f, a->now, WINDOW_MAX_SECS, 1, p };
	nindex_foreach(a->ix, rec_cb, &c);
	return ferror(f) ? -1 : 0;
}

/* dir, or dir/sub when sub is not empty, created when missing; path receives it. */
static int subdir(const char *dir, const char *sub, char *path, size_t cap, struct nodd_err *e)
{
	snprintf(path, cap, "%s%s%s", dir, *sub ? "/" : "", sub);
	if (mkdir_p(path) < 0)
		return nodd_fail(e, NODD_E_SYSTEM, "%s: %s", path, strerror(errno));
	return 0;
}

int files_write(const struct files_params *p, nindex_t *ix, int64_t now, struct nodd_err *e)
{
	char rpzdir[4096], bldir[4096], path[sizeof rpzdir + 700]; /* + "/<zone>.zone" */
	int nod = p->layout == FILES_LAYOUT_NOD;
	if (subdir(p->dir, "", path, sizeof path, e) < 0 ||
	    (nod && subdir(p->dir, "nod", path, sizeof path, e) < 0) ||
	    subdir(p->dir, nod ? "nod/rpz" : "rpz", rpzdir, sizeof rpzdir, e) < 0 ||
	    subdir(p->dir, nod ? "v1" : "", bldir, sizeof bldir, e) < 0)
		return -1;
	struct body_arg a = { p, ix, now, 0 };
	for (int w = 0; w < WINDOW_COUNT; w++) {
		a.zone = w;
		char zone[600];
		published_zone_name(w, p->suffix, zone, sizeof zone);
		snprintf(path, sizeof path, "%s/%s.zone", rpzdir, zone);
		if (write_atomic(path, rpz_body, &a, e) < 0)
			return -1;
	}
	char zone[600];
	published_zone_name(NOD_ZONE_ALLOW, p->suffix, zone, sizeof zone);
	snprintf(path, sizeof path, "%s/%s.zone", rpzdir, zone);
	if (write_atomic(path, allow_body, &a, e) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/nod.rbldnsd", bldir);
	return write_atomic(path, dnset_body, &a, e);
}
