/* notifygate.h -- how a NOTIFY taken on a UDP thread reaches the main loop, and how often
 * the SOA probes it asks for may start.
 *
 * notify_wake: the UDP threads mark an upstream; the first mark since the main loop last
 * drained writes the one eventfd count that wakes it, later marks write nothing, so any
 * number of NOTIFYs for a zone before the loop runs is one wake and one flag. Lock-free
 * (seq_cst atomics); no libevent call is made off the main thread.
 *
 * notify_gate: pure in now (milliseconds of a monotonic clock): at most one probe
 * answering NOTIFYs per interval; a NOTIFY that comes sooner waits for the interval's end,
 * one that comes during an exchange waits for its end. Main thread. */
#ifndef NODD_NOTIFYGATE_H
#define NODD_NOTIFYGATE_H

#include <stdatomic.h>
#include <stdint.h>

#include "lib/err.h"

struct notify_wake {
	int fd;               /* eventfd: readable while a wake is pending; the loop watches it */
	atomic_int pending;   /* a count is written to fd and the loop has not drained it yet */
	atomic_uchar *marked; /* per upstream: a NOTIFY came in since the loop last took it */
	int n;
};

/* n upstreams, none marked. 0, or -1 with e. */
int notify_wake_init(struct notify_wake *w, int n, struct nodd_err *e);
void notify_wake_free(struct notify_wake *w); /* after the UDP threads stopped */

/* Any thread: mark upstream i (0 <= i < n). Returns 1 when this call wrote the wake. */
int notify_wake_mark(struct notify_wake *w, int i);

/* Main loop, when fd is readable: drain it (returns the wakes written since the last
 * drain: 1, or 0 when there was none), then take each upstream's mark (1 when it was
 * marked; the mark is cleared). A mark made after the drain wakes the loop again. */
uint64_t notify_wake_drain(struct notify_wake *w);
int notify_wake_take(struct notify_wake *w, int i);

struct notify_gate {
	int64_t last_ms; /* when the last probe answering NOTIFYs started */
	int probed;      /* last_ms is set */
	int waiting;     /* a NOTIFY came in that no probe has answered yet */
};

/* A NOTIFY came in at now_ms: it waits for the next probe. Returns the delay (ms) before
 * that probe may start: 0 when none answered a NOTIFY in the last interval_ms. */
int64_t notify_gate_notify(struct notify_gate *g, int64_t now_ms, int64_t interval_ms);

/* The delay (ms) before a probe answering NOTIFYs may start at now_ms. */
int64_t notify_gate_due(const struct notify_gate *g, int64_t now_ms, int64_t interval_ms);

/* An SOA probe starts at now_ms: it answers every waiting NOTIFY, and when there was one
 * the interval counts from now (returns 1 then). A probe no NOTIFY waited for (the refresh
 * timer's) leaves the pace alone. */
int notify_gate_probe(struct notify_gate *g, int64_t now_ms);

#endif
