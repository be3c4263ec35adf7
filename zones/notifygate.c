/* notifygate.c -- NOTIFY from the UDP threads to the main loop (an eventfd and a flag per
 * upstream, coalesced) and the pace of the SOA probes NOTIFYs cause (pure in now). Knows
 * nothing of upstreams, sockets or libevent; zones/upstream.c wires it to the loop.
 *
 * Why an eventfd and not event_active() with evthread_use_pthreads(): a UDP thread under a
 * flood then takes no lock the main loop holds and makes no libevent call at all (only
 * two atomic exchanges, and one write() per loop wake-up); nothing depends on a global
 * libevent mode being set before the base exists; and it is the pattern streams/kafka.c
 * already uses to wake the loop from librdkafka's threads.
 *
 * No lost wake: a marker sets its upstream's flag, then the pending flag; the loop reads
 * the eventfd, clears pending, then takes the flags. A mark whose pending exchange saw 1
 * came before the clear, so the loop's later take sees it; one that saw 0 came after the
 * clear and writes a new count. */
#include "zones/notifygate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int notify_wake_init(struct notify_wake *w, int n, struct nodd_err *e)
{
	memset(w, 0, sizeof *w);
	w->fd = -1;
	w->marked = calloc(n > 0 ? (size_t)n : 1, sizeof *w->marked);
	if (!w->marked)
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	for (int i = 0; i < n; i++)
		atomic_init(&w->marked[i], 0);
	atomic_init(&w->pending, 0);
	w->n = n;
	w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->fd < 0) {
		int err = errno;
		notify_wake_free(w);
		return nodd_fail(e, NODD_E_SYSTEM, "eventfd: %s", strerror(err));
	}
	return 0;
}

void notify_wake_free(struct notify_wake *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	free(w->marked);
	w->marked = NULL;
	w->n = 0;
}

int notify_wake_mark(struct notify_wake *w, int i)
{
	if (atomic_exchange(&w->marked[i], 1))
		return 0; /* marked already: its wake is pending, or the loop is about to take it */
	if (atomic_exchange(&w->pending, 1))
		return 0;
	uint64_t one = 1;
	/* cannot fail but for EAGAIN at a counter of 2^64-2, which one count per drain never
	 * reaches */
	ssize_t r = write(w->fd, &one, sizeof one);
	(void)r;
	return 1;
}

uint64_t notify_wake_drain(struct notify_wake *w)
{
	uint64_t v = 0;
	if (read(w->fd, &v, sizeof v) != (ssize_t)sizeof v)
		v = 0; /* EAGAIN: nothing was written */
	atomic_store(&w->pending, 0);
	return v;
}

int notify_wake_take(struct notify_wake *w, int i)
{
	if (!atomic_load(&w->marked[i]))
		return 0; /* the common case: no write, no cache line taken from the markers */
	return atomic_exchange(&w->marked[i], 0);
}

int64_t notify_gate_due(const struct notify_gate *g, int64_t now_ms, int64_t interval_ms)
{
	if (!g->probed || now_ms - g->last_ms >= interval_ms)
		return 0;
	if (now_ms < g->last_ms) /* not on a monotonic clock; keep the bound anyway */
		return interval_ms;
	return g->last_ms + interval_ms - now_ms;
}

int64_t notify_gate_notify(struct notify_gate *g, int64_t now_ms, int64_t interval_ms)
{
	g->waiting = 1;
	return notify_gate_due(g, now_ms, interval_ms);
}

int notify_gate_probe(struct notify_gate *g, int64_t now_ms)
{
	if (!g->waiting)
		return 0;
	g->waiting = 0;
	g->last_ms = now_ms;
	g->probed = 1;
	return 1;
}
