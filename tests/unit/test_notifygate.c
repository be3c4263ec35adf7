/* test_notifygate.c -- NOTIFY in between the UDP threads and the main loop: the pace of
 * the probes NOTIFYs cause (pure, time chosen here), and the coalesced eventfd wake
 * (one thread, then marking threads racing a draining loop). */
#include <poll.h>
#include <pthread.h>

#include "tests/unit/tap.h"
#include "zones/notifygate.h"

enum op { NOTIFY, PROBE, DUE };

struct step {
	enum op op;
	int64_t now, interval, want;
	const char *what;
};

static const struct step steps[] = {
	{ DUE, 0, 1000, 0, "never probed: a NOTIFY may probe at once" },
	{ PROBE, 0, 1000, 0, "a timer probe with no NOTIFY waiting does not start the pace" },
	{ NOTIFY, 100, 1000, 0, "first NOTIFY: probe now" },
	{ PROBE, 100, 1000, 1, "the probe answers it" },
	{ NOTIFY, 300, 1000, 800, "a NOTIFY 200 ms later waits for the interval's end" },
	{ NOTIFY, 900, 1000, 200, "another one: the same deadline (coalesced)" },
	{ PROBE, 1100, 1000, 1, "one probe answers both" },
	{ DUE, 1200, 1000, 900, "the pace counts from that probe" },
	{ NOTIFY, 2100, 1000, 0, "after the interval: at once" },
	{ PROBE, 2100, 1000, 1, "answered" },
	{ PROBE, 2200, 1000, 0, "a timer probe after it answers nothing" },
	{ NOTIFY, 2300, 1000, 800, "the pace still counts from the NOTIFY's probe" },
	{ PROBE, 2500, 1000, 1, "the refresh timer's probe answers the waiting NOTIFY" },
	{ DUE, 2600, 1000, 900, "and restarts the pace" },
	{ DUE, 1000, 1000, 1000, "a clock before the last probe keeps the whole interval" },
	{ NOTIFY, 2600, 0, 0, "notify-min-interval 0: every NOTIFY may probe at once" },
};

static void gate_table(void)
{
	struct notify_gate g = { 0 };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		const struct step *s = &steps[i];
		int64_t got = s->op == NOTIFY ? notify_gate_notify(&g, s->now, s->interval)
			: s->op == PROBE ? notify_gate_probe(&g, s->now)
			: notify_gate_due(&g, s->now, s->interval);
		is_int(got, s->want, "gate at %lld ms: %s", (long long)s->now, s->what);
	}
}

/* A NOTIFY every millisecond for 10 s, driven as zones/upstream.c drives the gate: one
 * timer, moved earlier only. Probes: exactly one a second. */
static void gate_flood(void)
{
	struct notify_gate g = { 0 };
	int64_t timer = -1;
	int probes = 0;
	for (int64_t t = 0; t < 10000; t++) {
		if (t == timer) {
			timer = -1;
			probes += notify_gate_probe(&g, t);
		}
		int64_t d = notify_gate_notify(&g, t, 1000);
		if (d == 0) {
			timer = -1;
			probes += notify_gate_probe(&g, t);
		} else if (timer < 0 || timer > t + d) {
			timer = t + d;
		}
	}
	is_int(probes, 10, "10 000 NOTIFYs in 10 s at 1 s pace: 10 probes");
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, 0) == 1;
}

static void wake_one_thread(void)
{
	struct notify_wake w;
	struct nodd_err e = { 0 };
	is_int(notify_wake_init(&w, 3, &e), 0, "wake: init");
	ok(!readable(w.fd), "wake: quiet at first");
	is_int(notify_wake_mark(&w, 0), 1, "the first mark writes the wake");
	ok(readable(w.fd), "the loop wakes at once, not on a tick");
	is_int(notify_wake_mark(&w, 0), 0, "the same zone again: no second write");
	is_int(notify_wake_mark(&w, 1), 0, "another zone before the loop ran: no second write");
	is_int(notify_wake_drain(&w), 1, "one wake drained");
	ok(!readable(w.fd), "drained");
	is_int(notify_wake_mark(&w, 0), 0, "marked and not yet taken: the loop will take it");
	is_int(notify_wake_take(&w, 0), 1, "zone 0 taken");
	is_int(notify_wake_take(&w, 1), 1, "zone 1 taken");
	is_int(notify_wake_take(&w, 2), 0, "zone 2 was not marked");
	is_int(notify_wake_take(&w, 0), 0, "a mark is taken once");
	ok(!readable(w.fd), "nothing pending");
	is_int(notify_wake_mark(&w, 2), 1, "a mark after the take wakes the loop again");
	is_int(notify_wake_drain(&w), 1, "drained");
	is_int(notify_wake_take(&w, 2), 1, "zone 2 taken");
	is_int(notify_wake_drain(&w), 0, "a spurious drain finds nothing");
	notify_wake_free(&w);
}

enum { THREADS = 4, MARKS = 200000, ZONES = 3 };

struct marker {
	struct notify_wake *w;
	int id;
	long writes;
};

static void *mark_loop(void *arg)
{
	struct marker *m = arg;
	for (int k = 0; k < MARKS; k++)
		m->writes += notify_wake_mark(m->w, (k * 7 + m->id) % ZONES);
	return NULL;
}

/* Markers race a loop that drains and takes: every write is drained exactly once, and
 * when the markers stop, a mark left untaken always has its wake pending. */
static void wake_threads(void)
{
	struct notify_wake w;
	struct nodd_err e = { 0 };
	notify_wake_init(&w, ZONES, &e);
	struct marker m[THREADS];
	pthread_t tid[THREADS];
	for (int i = 0; i < THREADS; i++) {
		m[i] = (struct marker){ &w, i, 0 };
		pthread_create(&tid[i], NULL, mark_loop, &m[i]);
	}
	uint64_t drained = 0;
	long taken = 0, loops = 0;
	for (; loops < 2000; loops++) {
		struct pollfd p = { .fd = w.fd, .events = POLLIN };
		if (poll(&p, 1, 1) == 1) {
			drained += notify_wake_drain(&w);
			for (int z = 0; z < ZONES; z++)
				taken += notify_wake_take(&w, z);
		}
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(tid[i], NULL);
	int left = 0;
	for (int z = 0; z < ZONES; z++)
		left |= atomic_load(&w.marked[z]);
	ok(!left || readable(w.fd), "no lost wake: an untaken mark has its wake pending");
	drained += notify_wake_drain(&w);
	long writes = 0;
	for (int i = 0; i < THREADS; i++)
		writes += m[i].writes;
	is_int((long long)drained, writes, "every write drained exactly once");
	ok(writes >= 1 && writes < (long)THREADS * MARKS, "%ld writes for %d marks (coalesced)",
		writes, THREADS * MARKS);
	ok(taken >= 1, "the loop took marks while they came in");
	notify_wake_free(&w);
}

int main(void)
{
	gate_table();
	gate_flood();
	wake_one_thread();
	wake_threads();
	return tap_done();
}
