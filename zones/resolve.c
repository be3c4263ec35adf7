/* resolve.c -- the addresses of an upstream's primaries: an address is taken at once; a
 * host name is looked up with evdns, so an unreachable resolver never blocks the loop.
 * Main thread (the UDP threads read what it publishes). Starts nothing but the first
 * refresh of an upstream that was waiting for an address. */
#include <event2/dns.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sockaddr.h"
#include "zones/upstream.h"

/* Append the addresses of res. The UDP threads read the slots below nprim while this
 * runs: a slot is filled first, then published by raising nprim (release); no published
 * slot is written again (zones/upstream.h). */
static void add_addrs(struct upstream *up, const char *spec, struct evutil_addrinfo *res)
{
	int k = atomic_load_explicit(&up->nprim, memory_order_relaxed); /* only we write it */
	for (struct evutil_addrinfo *ai = res; ai && k < CONFIG_MAX_PRIMARIES; ai = ai->ai_next) {
		memcpy(&up->prim[k], ai->ai_addr, ai->ai_addrlen);
		up->prim_len[k] = (socklen_t)ai->ai_addrlen;
		char a[SA_TEXT_MAX];
		sa_host_text(ai->ai_addr, a, sizeof a);
		snprintf(up->prim_text[k], sizeof up->prim_text[0], "%s (%s)", spec, a);
		atomic_store_explicit(&up->nprim, ++k, memory_order_release);
	}
}

struct resolving {
	struct upstream *up;
	char spec[256];
};

static void on_resolved(int result, struct evutil_addrinfo *res, void *arg)
{
	struct resolving *r = arg;
	struct upstream *up = r->up;
	if (result != 0) {
		upstream_error(up, "cannot resolve primary %s: %s (retrying)", r->spec,
			evutil_gai_strerror(result));
	} else {
		int had = up->nprim;
		add_addrs(up, r->spec, res);
		evutil_freeaddrinfo(res);
		if (had == 0 && up->nprim > 0 && up->conn.kind == XFR_NONE) {
			up->last_error[0] = '\0';
			upstream_schedule(up, 0);
		}
	}
	free(r);
}

int upstream_resolve(struct upstream *up, const char *spec, struct nodd_err *e)
{
	char host[256];
	const char *at = strrchr(spec, '@');
	size_t hl = at ? (size_t)(at - spec) : strlen(spec);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	const char *port = at ? at + 1 : "53";
	struct evutil_addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = EVUTIL_AI_NUMERICSERV | EVUTIL_AI_NUMERICHOST };
	struct evutil_addrinfo *res = NULL;
	if (evutil_getaddrinfo(host, port, &hints, &res) == 0) {
		add_addrs(up, spec, res);
		evutil_freeaddrinfo(res);
		return 0;
	}
	if (!up->sec->dns)
		return nodd_fail(e, NODD_E_SYSTEM, "%s: no resolver", spec);
	struct resolving *r = calloc(1, sizeof *r);
	if (!r)
		return nodd_fail(e, NODD_E_NOMEM, "%s: out of memory", spec);
	r->up = up;
	snprintf(r->spec, sizeof r->spec, "%s", spec);
	hints.ai_flags = EVUTIL_AI_NUMERICSERV;
	evdns_getaddrinfo(up->sec->dns, host, port, &hints, on_resolved, r);
	return 0;
}
