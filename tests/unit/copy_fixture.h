/* copy_fixture.h -- a stored copy for the zones/ unit tests: nod (store, outbox) in a temp
 * directory, the copy's statements on its connection, records written as zone-file text
 * and read back as text lines. */
#ifndef NODD_COPY_FIXTURE_H
#define NODD_COPY_FIXTURE_H

#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/nod.h"
#include "policy/outbox.h"
#include "zones/copy.h"
#include "zones/rrtext.h"
#include "zones/xfrmsg.h"

struct fixture {
	char dir[64];
	nod_t *nod;
	outbox_t *ob;
	struct copy copy;
};

static inline int fixture_open(struct fixture *f)
{
	char path[128];
	struct nodd_err e = { 0 };
	snprintf(f->dir, sizeof f->dir, "/tmp/nodd-zones-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(path, sizeof path, "%s/t.db", f->dir);
	struct nod_options o = { .database = path, .min_interval = 1, .future_skew = 3600 };
	f->nod = nod_open(&o, 1700000000, &e);
	if (!f->nod) {
		fprintf(stderr, "nod_open: %s\n", e.msg);
		return -1;
	}
	f->ob = outbox_open(nod_store(f->nod), &e);
	nod_set_outbox(f->nod, f->ob);
	return f->ob && copy_open(&f->copy, store_db(nod_store(f->nod)), NULL) == 0 ? 0 : -1;
}

static inline void fixture_close(struct fixture *f)
{
	char cmd[128];
	copy_close(&f->copy);
	outbox_close(f->ob);
	nod_close(f->nod);
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
}

/* A record from zone-file text ("x.nodtest. 300 IN NS ns1.nodtest."), read as a transfer
 * reads it (a one-record message through zones/xfrmsg.c), in a slot of a pool that lives
 * as long as the program. */
static inline struct zone_rr rr_of(const char *text)
{
	static char owners[256][RRTEXT_OWNER_MAX];
	static uint8_t bufs[256][1024];
	static uint8_t rd[XFRMSG_RD_MAX];
	static int next;
	struct zone_rr z = { 0 };
	ldns_rr *rr = NULL;
	ldns_pkt *p = ldns_pkt_new();
	uint8_t *w = NULL;
	size_t len = 0;
	int i = next++ % 256;
	struct xfrmsg m;
	struct xfrmsg_rr x;
	x.rd = rd;
	if (!p || ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK ||
	    !ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr) ||
	    ldns_pkt2wire(&w, p, &len) != LDNS_STATUS_OK || xfrmsg_open(&m, w, len) < 0 ||
	    xfrmsg_next(&m, &x) != 1 || x.rdlen > sizeof bufs[i] ||
	    dname_wire_to_zone_text(x.owner, x.owner_len, owners[i], RRTEXT_OWNER_MAX) < 0) {
		fprintf(stderr, "bad record text: %s\n", text);
	} else {
		memcpy(bufs[i], x.rd, x.rdlen);
		z = (struct zone_rr){ owners[i], x.type, x.ttl, bufs[i], x.rdlen };
	}
	ldns_pkt_free(p);
	free(w);
	return z;
}

/* rr as one line "owner ttl IN type rdata" with single spaces, no newline, into buf. */
static inline void rr_text(const struct zone_rr *rr, char *buf, size_t n)
{
	char *t = rrtext_line(rr);
	snprintf(buf, n, "%s", t ? t : "?");
	free(t);
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
	size_t l = strlen(buf);
	if (l && buf[l - 1] == '\n')
		buf[l - 1] = '\0';
}

/* Append rr's line and "; " to out. */
static inline void append_rr(char *out, size_t n, const struct zone_rr *rr)
{
	char line[512];
	rr_text(rr, line, sizeof line);
	size_t l = strlen(out);
	snprintf(out + l, n - l, "%s; ", line);
}

/* The copy of zone in key order, as lines joined by "; ". */
static inline void copy_dump(struct copy *c, const char *zone, char *out, size_t n)
{
	struct copy_scan s;
	out[0] = '\0';
	copy_scan_begin(c, SCAN_HELD, zone, &s);
	while (copy_scan_next(&s) > 0)
		append_rr(out, n, &s.row);
	copy_scan_end(&s);
}

#endif
