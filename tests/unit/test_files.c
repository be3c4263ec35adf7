/* test_files.c -- the RPZ zone files and the rbldnsd dnset file of streams/files.c: exact
 * contents for a small index (SOA, NS, each name's CNAME pair in the windows it is young
 * enough for, the dnset lines with age codes and first_seen, the RFC 5782 test entry,
 * names at the edge of a window absent from it), the allow-list (names left out, the
 * allow zone file), replacement by rename, and the error for a directory that cannot be
 * made. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/dname.h"
#include "policy/allow.h"
#include "policy/index.h"
#include "policy/window.h"
#include "streams/files.h"
#include "tests/unit/tap.h"

#define NOW 1760000000

/* Each name, its age at NOW, the windows it is listed in (5m ... 24h as 0/1) and its
 * dnset line ("" when it is not in the dnset). */
static const struct {
	const char *name;
	int64_t age;
	const char *in;
	const char *dnset;
} names[] = {
	{ "fresh.se", 0, "1111111", ".fresh.se :127.0.0.2:first_seen=1760000000\n" },
	{ "edge5m.example", 299, "1111111", ".edge5m.example :127.0.0.2:first_seen=1759999701\n" },
	{ "out5m.se", 300, "0111111", ".out5m.se :127.0.0.3:first_seen=1759999700\n" },
	{ "a.b.c.se", 1000, "0011111", ".a.b.c.se :127.0.0.4:first_seen=1759999000\n" },
	{ "in1h.se", 3599, "0001111", ".in1h.se :127.0.0.5:first_seen=1759996401\n" },
	{ "out1h.se", 3600, "0000111", ".out1h.se :127.0.0.6:first_seen=1759996400\n" },
	{ "last.se", 86399, "0000001", ".last.se :127.0.0.8:first_seen=1759913601\n" },
	{ "gone.se", 86400, "0000000", "" },
	{ "old.se", 90000, "0000000", "" },
	{ "test.invalid", 10, "1111111", "" },
};
#define NNAMES (sizeof names / sizeof names[0])

static const char *const ns[] = { "ns1.nod.example", "ns2.nod.example" };

static struct files_params params(const char *dir, int nodata)
{
	struct files_params p = {
		.dir = dir, .suffix = "nod.example", .ttl = 60,
		.mname = "ns1.nod.example", .rname = "hostmaster.nod.example",
		.refresh = 3600, .retry = 600, .expire = 864000, .minimum = 60,
		.ns = ns, .nns = 2, .rpz_nodata = nodata,
	};
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		p.serial[z] = 101 + (uint32_t)z;
	return p;
}

static void put(nindex_t *ix, const char *name, int64_t fs)
{
	uint8_t w[DNAME_MAX_WIRE];
	int l = dname_text_to_wire(name, w);
	nindex_put(ix, w, (size_t)l - 1, fs, NULL);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file's first nhead lines as they are, then the remaining lines sorted (the index
 * has no order), each line ending in a newline. Caller frees. */
static char *canonical(const char *text, int nhead)
{
	char *copy = strdup(text), *save = NULL, *lines[256];
	int n = 0;
	for (char *l = strtok_r(copy, "\n", &save); l && n < 256; l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	if (n > nhead)
		qsort(lines + nhead, (size_t)(n - nhead), sizeof lines[0], cmp_line);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	for (int i = 0; i < n; i++)
		fprintf(m, "%s\n", lines[i]);
	fclose(m);
	free(copy);
	return buf;
}

static char *rpz_path(const char *dir, int w)
{
	static char path[800];
	snprintf(path, sizeof path, "%s/rpz/%s.rpz.nod.example.zone", dir, window_label[w]);
	return path;
}

/* What window w's file must hold: the header, then each listed name's pair, sorted. */
static char *expected_rpz(int w, int nodata)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	fprintf(m, "; %s.rpz.nod.example -- written by nodd; names first seen in the last %s\n"
		"$ORIGIN %s.rpz.nod.example.\n$TTL 60\n"
		"@\tSOA\tns1.nod.example. hostmaster.nod.example. %d 3600 600 864000 60\n"
		"@\tNS\tns1.nod.example.\n@\tNS\tns2.nod.example.\n",
		window_label[w], window_label[w], window_label[w], 101 + w);
	const char *target = nodata ? "*." : ".";
	for (size_t i = 0; i < NNAMES; i++)
		if (names[i].in[w] == '1')
			fprintf(m, "%s\tCNAME\t%s\n*.%s\tCNAME\t%s\n", names[i].name, target,
				names[i].name, target);
	fclose(m);
	char *c = canonical(buf, 6);
	free(buf);
	return c;
}

static char *expected_dnset(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	fputs("# v1.bl.nod.example -- rbldnsd dnset written by nodd\n"
		"$SOA 60 ns1.nod.example. hostmaster.nod.example. 108 3600 600 864000 60\n"
		"$NS 60 ns1.nod.example.\n$NS 60 ns2.nod.example.\n$TTL 60\n"
		"test :127.0.0.2:first_seen=0\n", m);
	for (size_t i = 0; i < NNAMES; i++)
		fputs(names[i].dnset, m);
	fclose(m);
	char *c = canonical(buf, 6);
	free(buf);
	return c;
}

/* Leftover temporary files in dir (name containing ".tmp."). */
static int temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strstr(e->d_name, ".tmp.") != NULL;
	if (d)
		closedir(d);
	return n;
}

static void check_contents(const char *dir, int nodata)
{
	for (int w = 0; w < WINDOW_COUNT; w++) {
		char *got = slurp(rpz_path(dir, w));
		char *cgot = got ? canonical(got, 6) : NULL;
		char *want = expected_rpz(w, nodata);
		is_str(cgot, want, "rpz %s file (%s)", window_label[w], nodata ? "nodata" : "nxdomain");
		if (got && w == 0)
			ok(strstr(got, "fresh.se\tCNAME\t") && strstr(got, "\n*.fresh.se\tCNAME\t"),
				"rpz lines are name then wildcard");
		free(got);
		free(cgot);
		free(want);
	}
	char path[800];
	snprintf(path, sizeof path, "%s/nod.rbldnsd", dir);
	char *got = slurp(path);
	char *cgot = got ? canonical(got, 6) : NULL;
	char *want = expected_dnset();
	is_str(cgot, want, "dnset file");
	free(got);
	free(cgot);
	free(want);
}

int main(void)
{
	char dir[] = "/tmp/nodd-test-files-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char out[600];
	snprintf(out, sizeof out, "%s/out", dir);
	nindex_t *ix = nindex_new();
	for (size_t i = 0; i < NNAMES; i++)
		put(ix, names[i].name, NOW - names[i].age);

	struct files_params p = params(out, 0);
	struct nodd_err e = { 0 };
	is_int(files_write(&p, ix, NOW, &e), 0, "files written into a new directory");
	check_contents(out, 0);
	char rpzdir[700];
	snprintf(rpzdir, sizeof rpzdir, "%s/rpz", out);
	is_int(temp_files(out) + temp_files(rpzdir), 0, "no temporary file left");

	/* Replaced by rename: a reader holding the old file keeps the old contents whole. */
	struct stat before, after;
	const char *p5 = rpz_path(out, 0);
	stat(p5, &before);
	FILE *old = fopen(p5, "r");
	char *old_text = slurp(p5);
	put(ix, "later.se", NOW);
	is_int(files_write(&p, ix, NOW, &e), 0, "files written again");
	stat(p5, &after);
	ok(before.st_ino != after.st_ino, "the file is a new inode (renamed over the old one)");
	char buf[8192];
	size_t n = old ? fread(buf, 1, sizeof buf - 1, old) : 0;
	buf[n] = '\0';
	is_str(buf, old_text, "the old file is untouched");
	char *new_text = slurp(p5);
	ok(new_text && strstr(new_text, "\nlater.se\tCNAME\t.\n*.later.se\tCNAME\t.\n"),
		"the new file lists the new name");
	if (old)
		fclose(old);
	free(old_text);
	free(new_text);
	is_int(temp_files(out) + temp_files(rpzdir), 0, "no temporary file left after a rewrite");

	/* rpz-nodata: CNAME *. instead of CNAME . */
	nindex_free(ix);
	ix = nindex_new();
	for (size_t i = 0; i < NNAMES; i++)
		put(ix, names[i].name, NOW - names[i].age);
	p = params(out, 1);
	is_int(files_write(&p, ix, NOW, &e), 0, "nodata files written");
	check_contents(out, 1);

	/* layout nod: the feed's tree, the same contents; test names in the dnset */
	char feed[700];
	snprintf(feed, sizeof feed, "%s/feed", dir);
	static const char *const tests[] = { "test.dns-nod.net", "nod-probe.example" };
	p = params(feed, 1);     /* as the files in out were last written */
	p.layout = FILES_LAYOUT_NOD;
	p.tests = tests;
	p.ntests = 2;
	is_int(files_write(&p, ix, NOW, &e), 0, "layout nod written");
	char fpath[800];
	snprintf(fpath, sizeof fpath, "%s/nod/rpz/5m.rpz.nod.example.zone", feed);
	char *z5 = slurp(fpath), *z5flat = slurp(rpz_path(out, 0));
	ok(z5 && z5flat && strcmp(z5, z5flat) == 0, "nod/rpz/5m.rpz.<suffix>.zone as rpz/ holds");
	snprintf(fpath, sizeof fpath, "%s/v1/nod.rbldnsd", feed);
	char *bl = slurp(fpath);
	ok(bl && strstr(bl, "\ntest :127.0.0.2:first_seen=0\n"
		"test.dns-nod.net :127.0.0.2:first_seen=0\n!invalid.dns-nod.net\n"
		"!*.invalid.dns-nod.net\nnod-probe.example :127.0.0.2:first_seen=0\n"),
		"v1/nod.rbldnsd: test names listed, the invalid twin of test.<rest> excluded");
	snprintf(fpath, sizeof fpath, "%s/nod/rpz/allow.rpz.nod.example.zone", feed);
	ok(access(fpath, F_OK) == 0, "the allow zone beside the windows, in nod/rpz/");
	snprintf(fpath, sizeof fpath, "%s/rpz", feed);
	ok(access(fpath, F_OK) != 0, "no rpz/ of the default layout");
	free(z5);
	free(z5flat);
	free(bl);

	/* The allow-list: allowed names left out; a name whose "*.name" is allowed keeps
	 * itself in the dnset but not its subdomains; the allow zone file lists the entries. */
	allow_t *al = allow_new();
	allow_add(al, "fresh.se", ALLOW_CONFIG, 0, ALLOW_OPEN);
	allow_add(al, "*.in1h.se", ALLOW_API, 0, ALLOW_OPEN);
	allow_add(al, "*.in1h.se", ALLOW_CONFIG, 0, ALLOW_OPEN);
	allow_add(al, "ended.se", ALLOW_API, 0, 5);
	allow_rebuild(al, ix);
	p = params(out, 0);
	p.allow = al;
	is_int(files_write(&p, ix, NOW, &e), 0, "files written with an allow-list");
	char *rz = slurp(rpz_path(out, 0));
	ok(rz && !strstr(rz, "fresh.se") && strstr(rz, "\nedge5m.example\tCNAME\t.\n"),
		"the allowed name is not in the RPZ file, the others are");
	free(rz);
	char apath[800];
	snprintf(apath, sizeof apath, "%s/nod.rbldnsd", out);
	char *ds = slurp(apath);
	ok(ds && !strstr(ds, "fresh.se") && strstr(ds, "\nin1h.se :127.0.0.5:") &&
		!strstr(ds, ".in1h.se :"), "dnset: allowed name left out; *.in1h.se allowed: in1h.se "
		"listed without its subdomains");
	free(ds);
	snprintf(apath, sizeof apath, "%s/rpz/allow.rpz.nod.example.zone", out);
	char *az = slurp(apath);
	char *caz = az ? canonical(az, 6) : NULL;
	is_str(caz, "; allow.rpz.nod.example -- written by nodd; the allow-list (names never listed)\n"
		"$ORIGIN allow.rpz.nod.example.\n$TTL 60\n"
		"@\tSOA\tns1.nod.example. hostmaster.nod.example. 109 3600 600 864000 60\n"
		"@\tNS\tns1.nod.example.\n@\tNS\tns2.nod.example.\n"
		"*.in1h.se\tCNAME\trpz-passthru.\nfresh.se\tCNAME\trpz-passthru.\n",
		"the allow zone file: each open pattern once");
	free(az);
	free(caz);
	allow_free(al);

	/* A directory that cannot be made: a system error naming the path. */
	char blocker[700], bad[800];
	snprintf(blocker, sizeof blocker, "%s/file", dir);
	FILE *bf = fopen(blocker, "w");
	if (bf)
		fclose(bf);
	snprintf(bad, sizeof bad, "%s/sub", blocker);
	p = params(bad, 0);
	is_int(files_write(&p, ix, NOW, &e), -1, "unwritable directory refused");
	is_int(e.kind, NODD_E_SYSTEM, "as a system error");
	ok(strncmp(e.msg, bad, strlen(bad)) == 0 && strstr(e.msg, "Not a directory"),
		"message names the path and the reason: %s", e.msg);

	nindex_free(ix);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
