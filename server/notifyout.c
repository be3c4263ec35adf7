/* notifyout.c -- NOTIFY out with retries, on the main event loop.
 *
 * One UDP socket per address family, bound to an ephemeral port; one pending slot per
 * (target, zone). A reply matches by ID, source address and port; when the request was
 * signed the reply's TSIG must verify, else it is ignored and the retries go on (a forged
 * reply must not silence the NOTIFY).
 *
 * Every target is told of all eight zones (transfer.notify has no per-zone list), but a
 * resolver usually holds only some of them: BIND answers NOTAUTH for the others, and with a
 * new version every min-interval that was a warning per second. A verified NOTAUTH or
 * REFUSED therefore mutes that (target, zone) for NOTIFY_MUTE_SECS, logged once; the
 * secondary's own SOA refresh still finds new versions meanwhile. */
#define LOG_CATEGORY LOG_CAT_NOTIFY
#include "server/notifyout.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "lib/clock.h"
#include "lib/dname.h"
#include "lib/log.h"
#include "lib/sockaddr.h"
#include "server/metrics.h"
#include "lib/wire.h"

#define NOTIFY_RETRIES 5
#define NOTIFY_MUTE_SECS 3600

struct pending {
	struct notifyout *n;
	int target, zone;
	int active;
	int tries;               /* sends so far */
	uint16_t id;
	uint32_t serial;
	struct tsig_mac mac;     /* of the signed request */
	const struct tsig_key *key;      /* signs the next send (a reload may replace it) */
	const struct tsig_key *sent_key; /* signed the last send: its answer verifies with it */
	struct event *timer;
	int64_t muted_until;     /* the target said it is no secondary of the zone */
	const char *state;       /* for the status: NULL (never sent), "pending", "acknowledged",
	                          * "no answer", "not a secondary", "error" */
	int rcode;               /* of the last answer */
	int64_t at;              /* of the last state change */
};

struct notifyout {
	struct event_base *base;
	const struct nodd_config *cfg;
	struct answer_cfg *_Atomic *acfgp;
	int fd4, fd6;
	struct event *ev4, *ev6;
	struct pending *p;       /* nnotify * NOD_ZONE_COUNT */
	uint16_t next_id;
};

static int fd_for(struct notifyout *n, int family)
{
	return family == AF_INET6 ? n->fd6 : n->fd4;
}

static void send_one(struct pending *p)
{
	struct notifyout *n = p->n;
	const struct config_notify *t = &n->cfg->notify[p->target];
	const struct answer_cfg *c = atomic_load(n->acfgp);
	uint8_t msg[1024];
	/* A random ID (RFC 5452 spirit): an unsigned reply is matched by ID and address. */
	uint8_t rnd[2];
	if (RAND_bytes(rnd, 2) == 1)
		p->id = (uint16_t)((rnd[0] << 8) | rnd[1]);
	else
		p->id = n->next_id++ ^ (uint16_t)(rand() & 0xffff);
	/* RFC 1996 3.7: the zone's SOA in the answer section, as BIND and NSD send it. */
	struct wire w;
	wire_init(&w, msg, sizeof msg);
	wire_set_cap(&w, 512);
	wire_header(&w, p->id, (uint16_t)(WIRE_OPCODE(WIRE_OPCODE_NOTIFY) | WIRE_AA));
	wire_question(&w, c->apex[p->zone], c->apex_len[p->zone], WIRE_T_SOA, WIRE_C_IN);
	wire_section(&w, WIRE_AN);
	struct wire_soa soa = { c->mname, c->mname_len, c->rname, c->rname_len, p->serial,
		c->soa_refresh, c->soa_retry, c->soa_expire, c->soa_minimum };
	wire_rr_soa(&w, NULL, WIRE_HEADER_SIZE, c->ttl, &soa);
	size_t len = wire_finish(&w);
	if (!len) {
		log_err("notify: cannot write the message for %s", t->addr.text);
		return;
	}
	if (p->key) {
		size_t sl;
		if (tsig_sign_request(p->key, msg, len, sizeof msg, (uint64_t)unix_now(), 0, &p->mac,
			    &sl) != 0) {
			log_err("notify: cannot sign for %s", t->addr.text);
			return;
		}
		len = sl;
	}
	p->sent_key = p->key;
	int fd = fd_for(n, t->addr.ss.ss_family);
	if (fd < 0 || sendto(fd, msg, len, 0, (const struct sockaddr *)&t->addr.ss, t->addr.len) < 0)
		log_warn("notify %s: send: %s", t->addr.text, strerror(errno));
	p->tries++;
	metrics_inc("notify_sent", 1);
	struct timeval tv = { 1 << (p->tries - 1), 0 };
	evtimer_add(p->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pending *p = arg;
	if (!p->active)
		return;
	if (p->tries > NOTIFY_RETRIES) {
		char z[300];
		const struct answer_cfg *c = atomic_load(p->n->acfgp);
		dname_wire_to_text(c->apex[p->zone], c->apex_len[p->zone], z, sizeof z);
		log_warn("notify %s zone %s serial %u: no answer after %d tries; giving up",
			p->n->cfg->notify[p->target].addr.text, z, p->serial, p->tries);
		metrics_inc("notify_failed", 1);
		p->active = 0;
		p->state = "no answer";
		p->at = unix_now();
		return;
	}
	metrics_inc("notify_retries", 1);
	send_one(p);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct notifyout *n = arg;
	uint8_t buf[4096];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof from;
		ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			return;
		if (r < WIRE_HEADER_SIZE || !(buf[2] & 0x80) ||
		    ((buf[2] >> 3) & 0x0f) != WIRE_OPCODE_NOTIFY)
			continue;
		uint16_t id = wire_get16(buf);
		int total = n->cfg->nnotify * NOD_ZONE_COUNT;
		for (int i = 0; i < total; i++) {
			struct pending *p = &n->p[i];
			if (!p->active || p->id != id ||
			    !sa_same((const struct sockaddr *)&from,
				    (const struct sockaddr *)&n->cfg->notify[p->target].addr.ss))
				continue;
			if (p->sent_key) {
				struct tsig_verifier v;
				struct tsig_result res;
				int good = tsig_verifier_init(&v, p->sent_key, &p->mac) == 0 &&
					tsig_verifier_feed(&v, buf, (size_t)r, (uint64_t)unix_now(), &res) == TSIG_V_OK &&
					tsig_verifier_end(&v) == TSIG_V_OK;
				tsig_verifier_deinit(&v);
				if (!good) {
					log_warn("notify %s: reply fails TSIG; ignored",
						n->cfg->notify[p->target].addr.text);
					continue;
				}
			}
			int rcode = buf[3] & WIRE_RCODE_MASK;
			if (rcode == WIRE_RCODE_NOTAUTH || rcode == WIRE_RCODE_REFUSED) {
				/* NOTAUTH / REFUSED: not a secondary of this zone (see the top). */
				char z[300];
				const struct answer_cfg *c = atomic_load(n->acfgp);
				dname_wire_to_text(c->apex[p->zone], c->apex_len[p->zone], z, sizeof z);
				log_info("notify %s zone %s: answered %s (not a secondary of it?); not "
					"notified of this zone for %d s", n->cfg->notify[p->target].addr.text, z,
					rcode == WIRE_RCODE_NOTAUTH ? "NOTAUTH" : "REFUSED", NOTIFY_MUTE_SECS);
				p->muted_until = unix_now() + NOTIFY_MUTE_SECS;
				metrics_inc("notify_muted", 1);
				p->state = "not a secondary";
			} else if (rcode != WIRE_RCODE_NOERROR) {
				log_warn("notify %s: answered with rcode %d", n->cfg->notify[p->target].addr.text, rcode);
				p->state = "error";
			} else {
				log_debug("notify %s: acknowledged", n->cfg->notify[p->target].addr.text);
				p->state = "acknowledged";
			}
			p->rcode = rcode;
			p->at = unix_now();
			metrics_inc("notify_acknowledged", 1);
			p->active = 0;
			evtimer_del(p->timer);
		}
	}
}

static int open_sock(int family, struct event_base *base, struct notifyout *n, struct event **ev)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	*ev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, n);
	if (!*ev || event_add(*ev, NULL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct notifyout *notifyout_start(struct event_base *base, const struct nodd_config *cfg,
	const struct tsig_keyring *kr, struct answer_cfg *_Atomic *acfgp, struct nodd_err *e)
{
	struct notifyout *n = nodd_calloc(1, sizeof *n, e);
	if (!n)
		return NULL;
	*n = (struct notifyout){ .base = base, .cfg = cfg, .acfgp = acfgp, .fd4 = -1, .fd6 = -1,
		.next_id = (uint16_t)(unix_now() ^ getpid()) };
	int need4 = 0, need6 = 0;
	for (int i = 0; i < cfg->nnotify; i++) {
		if (cfg->notify[i].addr.ss.ss_family == AF_INET6)
			need6 = 1;
		else
			need4 = 1;
	}
	if ((need4 && (n->fd4 = open_sock(AF_INET, base, n, &n->ev4)) < 0) ||
	    (need6 && (n->fd6 = open_sock(AF_INET6, base, n, &n->ev6)) < 0)) {
		nodd_fail(e, NODD_E_SYSTEM, "notify: socket: %s", strerror(errno));
		goto fail;
	}
	n->p = nodd_calloc((size_t)cfg->nnotify * NOD_ZONE_COUNT, sizeof *n->p, e);
	if (!n->p && cfg->nnotify)
		goto fail;
	for (int t = 0; t < cfg->nnotify; t++) {
		const struct tsig_key *key = NULL;
		/* keys_check_refs() ran first; this is only a guard */
		if (cfg->notify[t].key && !(key = tsig_keyring_find_text(kr, cfg->notify[t].key))) {
			nodd_fail(e, NODD_E_NOTFOUND, "transfer.notify.key %s: not among the keys",
				cfg->notify[t].key);
			goto fail;
		}
		for (int z = 0; z < NOD_ZONE_COUNT; z++) {
			struct pending *p = &n->p[t * NOD_ZONE_COUNT + z];
			*p = (struct pending){ .n = n, .target = t, .zone = z, .key = key };
			p->timer = evtimer_new(base, on_timer, p);
			if (!p->timer) {
				nodd_fail(e, NODD_E_NOMEM, "out of memory");
				goto fail;
			}
		}
	}
	return n;
fail:
	notifyout_stop(n);
	return NULL;
}

void notifyout_set_keys(struct notifyout *n, const struct tsig_keyring *kr)
{
	if (!n)
		return;
	for (int t = 0; t < n->cfg->nnotify; t++) {
		if (!n->cfg->notify[t].key)
			continue;
		/* checked by keys_check_refs before the swap; never unsign a target */
		const struct tsig_key *key = tsig_keyring_find_text(kr, n->cfg->notify[t].key);
		if (!key)
			continue;
		for (int z = 0; z < NOD_ZONE_COUNT; z++)
			n->p[t * NOD_ZONE_COUNT + z].key = key;
	}
}

/* Send to every target; force: the muted ones too (an operator asked for it). */
static int notify_targets(struct notifyout *n, int zone, uint32_t serial, int force)
{
	if (!n || zone < 0 || zone >= NOD_ZONE_COUNT)
		return 0;
	int sent = 0;
	for (int t = 0; t < n->cfg->nnotify; t++) {
		struct pending *p = &n->p[t * NOD_ZONE_COUNT + zone];
		if (!force && p->muted_until && unix_now() < p->muted_until)
			continue;
		p->muted_until = 0;
		evtimer_del(p->timer);
		p->active = 1;
		p->tries = 0;
		p->serial = serial;
		p->state = "pending";
		p->at = unix_now();
		send_one(p);
		sent++;
	}
	return sent;
}

void notifyout_zone(struct notifyout *n, int zone, uint32_t serial)
{
	notify_targets(n, zone, serial, 0);
}

int notifyout_resend(struct notifyout *n, int zone, uint32_t serial)
{
	return notify_targets(n, zone, serial, 1);
}

/* What one (target, zone) slot says: serial, state, tries, rcode on error, when. */
static json_t *pending_json(const struct pending *p)
{
	json_t *q = json_object();
	json_object_set_new(q, "serial", json_integer(p->serial));
	json_object_set_new(q, "state", json_string(p->state));
	json_object_set_new(q, "tries", json_integer(p->tries));
	if (strcmp(p->state, "error") == 0)
		json_object_set_new(q, "rcode", json_integer(p->rcode));
	json_object_set_new(q, "at", json_integer(p->at));
	return q;
}

static json_t *target_json(const struct notifyout *n, int t)
{
	json_t *e = json_object();
	json_object_set_new(e, "address", json_string(n->cfg->notify[t].addr.text));
	json_object_set_new(e, "key", n->cfg->notify[t].key ? json_string(n->cfg->notify[t].key)
		: json_null());
	return e;
}

json_t *notifyout_zone_status(struct notifyout *n, int zone)
{
	json_t *a = json_array();
	for (int t = 0; n && zone >= 0 && zone < NOD_ZONE_COUNT && t < n->cfg->nnotify; t++) {
		const struct pending *p = &n->p[t * NOD_ZONE_COUNT + zone];
		json_t *e = target_json(n, t);
		json_t *q = p->state ? pending_json(p) : NULL;
		if (q) {
			json_object_update(e, q);
			json_decref(q);
		} else {
			json_object_set_new(e, "state", json_string("never sent"));
		}
		json_array_append_new(a, e);
	}
	return a;
}

json_t *notifyout_status(struct notifyout *n)
{
	json_t *a = json_array();
	const struct answer_cfg *c = atomic_load(n->acfgp);
	for (int t = 0; t < n->cfg->nnotify; t++) {
		json_t *e = target_json(n, t), *zs = json_object();
		for (int z = 0; z < NOD_ZONE_COUNT; z++) {
			const struct pending *p = &n->p[t * NOD_ZONE_COUNT + z];
			if (!p->state)
				continue;
			char zt[300];
			dname_wire_to_text(c->apex[z], c->apex_len[z], zt, sizeof zt);
			json_object_set_new(zs, zt, pending_json(p));
		}
		json_object_set_new(e, "zones", zs);
		json_array_append_new(a, e);
	}
	return a;
}

void notifyout_stop(struct notifyout *n)
{
	if (!n)
		return;
	if (n->p) {
		for (int i = 0; i < n->cfg->nnotify * NOD_ZONE_COUNT; i++)
			if (n->p[i].timer)
				event_free(n->p[i].timer);
		free(n->p);
	}
	if (n->ev4)
		event_free(n->ev4);
	if (n->ev6)
		event_free(n->ev6);
	if (n->fd4 >= 0)
		close(n->fd4);
	if (n->fd6 >= 0)
		close(n->fd6);
	free(n);
}
