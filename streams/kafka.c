/* kafka.c -- drain the outbox into Kafka, losing nothing.
 *
 * DESIGN
 * Rows are handed to an idempotent producer in seq order, at most max_inflight at a time
 * (so the backlog of a broker outage waits in sqlite, bounded by disk, not in
 * librdkafka's memory queue). message.timeout.ms is 0 (never give up): during an outage
 * records wait and are delivered in order when the broker returns.
 * Delivery reports may arrive out of seq order across partitions, so acknowledged seqs
 * are marked in the cursor's ring (streams/sink.h) and the outbox's "delivered" mark
 * advances only over a contiguous run: after a crash, everything above the mark is sent
 * again (at-least-once; consumers drop duplicates by the seq header). A fatal producer
 * error destroys the producer, and a new one resends from the mark.
 * librdkafka's main queue writes a byte to a pipe when events are ready; libevent watches
 * the pipe and we call rd_kafka_poll(), which runs the delivery callbacks here, on the
 * main thread (REFERENCE.md section 4). */
#include "streams/kafka.h"

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/prom.h"
#include "streams/sink.h"

struct ktopic {
	rd_kafka_topic_t *rkt;
	struct sink_cursor cur;   /* acked: the delivered mark, persisted in the outbox */
};

struct kafka_sink {
	struct event_base *base;
	outbox_t *ob;
	struct kafka_options opt;
	rd_kafka_t *rk;
	struct ktopic t[OUTBOX_TOPICS];
	int pipefd[2];
	struct event *pipe_ev, *timer_ev;
	int restart;          /* a fatal error: rebuild the producer */
	int64_t last_ok;
	struct kafka_stats stats;
};

static int set_conf(rd_kafka_conf_t *conf, const char *k, const char *v, struct nodd_err *e)
{
	char why[256];
	if (rd_kafka_conf_set(conf, k, v, why, sizeof why) != RD_KAFKA_CONF_OK)
		return nodd_fail(e, NODD_E_INVALID, "kafka.properties: %s: %s", k, why);
	return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	struct kafka_sink *k = opaque;
	uintptr_t tag = (uintptr_t)m->_private;
	int topic = (int)(tag & 3);
	uint64_t seq = (uint64_t)(tag >> 2);
	if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
		return; /* our own restart: these are resent from the mark */
	if (m->err) {
		k->stats.errors++;
		log_warn("kafka: %s #%llu not delivered: %s", outbox_topic_name(topic),
			(unsigned long long)seq, rd_kafka_err2str(m->err));
		k->restart = 1; /* resend from the mark, in order */
		return;
	}
	k->stats.delivered++;
	k->last_ok = unix_now();
	sink_cursor_ack(&k->t[topic].cur, seq); /* ignores a duplicate from before a restart */
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct kafka_sink *k = opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[512];
		rd_kafka_fatal_error(rk, buf, sizeof buf);
		log_err("kafka: fatal producer error: %s; restarting the producer", buf);
		k->restart = 1;
		k->stats.errors++;
		return;
	}
	/* transport errors while a broker is down: librdkafka retries by itself */
	log_debug("kafka: %s: %s", rd_kafka_err2str((rd_kafka_resp_err_t)err), reason);
}

/* Throughput defaults, set before the operator's kafka.properties so any of them can be
 * overridden there: batches of up to 10,000 records gathered for up to 5 ms, and a local
 * queue deep enough for everything we keep in flight. */
static const char *const producer_defaults[][2] = {
	{ "enable.idempotence", "true" },
	{ "message.timeout.ms", "0" },
	{ "linger.ms", "5" },
	{ "batch.num.messages", "10000" },
	{ "queue.buffering.max.messages", "1000000" },
};

static rd_kafka_t *make_producer(struct kafka_sink *k, struct nodd_err *e)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (set_conf(conf, "bootstrap.servers", k->opt.brokers, e) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof producer_defaults / sizeof producer_defaults[0]; i++)
		if (set_conf(conf, producer_defaults[i][0], producer_defaults[i][1], e) < 0)
			goto fail;
	for (int i = 0; i < k->opt.nprops; i++)
		if (set_conf(conf, k->opt.props[2 * i], k->opt.props[2 * i + 1], e) < 0)
			goto fail;
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_opaque(conf, k);
	char why[512];
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
	if (!rk) {
		nodd_fail(e, NODD_E_INVALID, "kafka: %s", why);
		return NULL; /* rd_kafka_new frees conf only on success */
	}
	rd_kafka_queue_t *q = rd_kafka_queue_get_main(rk);
	rd_kafka_queue_io_event_enable(q, k->pipefd[1], "x", 1);
	rd_kafka_queue_destroy(q);
	for (int i = 0; i < OUTBOX_TOPICS; i++) {
		k->t[i].rkt = rd_kafka_topic_new(rk, k->opt.topic[i], NULL);
		sink_cursor_rewind(&k->t[i].cur);
	}
	return rk;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

static void destroy_producer(struct kafka_sink *k)
{
	if (!k->rk)
		return;
	rd_kafka_purge(k->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	for (int i = 0; i < OUTBOX_TOPICS; i++) {
		if (k->t[i].rkt)
			rd_kafka_topic_destroy(k->t[i].rkt);
		k->t[i].rkt = NULL;
	}
	rd_kafka_poll(k->rk, 0);
	rd_kafka_destroy(k->rk);
	k->rk = NULL;
}

struct fill_ctx {
	struct kafka_sink *k;
	int full;
};

/* Hand one record to librdkafka; refused when its queue is full (taken again later).
 * RD_KAFKA_MSG_F_COPY on purpose: librdkafka puts the copy in the same allocation as its
 * message (as it always does with the key), while the payload we hold is sqlite's row,
 * valid only during this call: without the copy flag we would have to copy it into a
 * pool of our own first and free it from the delivery report, which costs more. */
static int produce(void *ctx, const struct sink_record *r)
{
	struct fill_ctx *f = ctx;
	struct kafka_sink *k = f->k;
	char seqtxt[24];
	int sl = snprintf(seqtxt, sizeof seqtxt, "%llu", (unsigned long long)r->seq);
	rd_kafka_resp_err_t e = rd_kafka_producev(k->rk,
		RD_KAFKA_V_RKT(k->t[r->topic].rkt),
		RD_KAFKA_V_KEY(r->key, strlen(r->key)),
		RD_KAFKA_V_VALUE((void *)r->payload, r->len),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		RD_KAFKA_V_HEADER("seq", seqtxt, sl),
		RD_KAFKA_V_OPAQUE((void *)(uintptr_t)((r->seq << 2) | (uint64_t)r->topic)),
		RD_KAFKA_V_END);
	if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			log_warn("kafka: produce %s #%llu: %s", outbox_topic_name(r->topic),
				(unsigned long long)r->seq, rd_kafka_err2str(e));
		f->full = 1;
		return 1;
	}
	k->stats.produced++;
	return 0;
}

static void persist_marks(struct kafka_sink *k)
{
	for (int i = 0; i < OUTBOX_TOPICS; i++)
		sink_cursor_save(&k->t[i].cur);
}

/* Keep librdkafka's queue full: hand over every record the in-flight bound allows, in
 * large outbox reads. The delivered marks are written by the timer (and at stop), not on
 * every delivery report: a crash in between only resends more (at-least-once). */
static void pump(struct kafka_sink *k)
{
	if (k->restart) {
		k->restart = 0;
		destroy_producer(k);
		struct nodd_err e;
		k->rk = make_producer(k, &e);
		if (!k->rk) {
			log_err("%s", e.msg);
			k->restart = 1;
			return;
		}
	}
	if (!k->rk)
		return;
	rd_kafka_poll(k->rk, 0);
	for (int i = 0; i < OUTBOX_TOPICS; i++) {
		struct sink_cursor *c = &k->t[i].cur;
		struct fill_ctx f = { k, 0 };
		size_t room;
		while (!f.full && (room = sink_cursor_room(c)) > 0) {
			int n = sink_cursor_pull(c, room < 10000 ? (int)room : 10000, produce, &f);
			if (n <= 0)
				break;
		}
		k->stats.backlog[i] = sink_cursor_backlog(c);
	}
}

static void on_pipe(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	char buf[256];
	while (read(fd, buf, sizeof buf) > 0)
		;
	pump(arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct kafka_sink *k = arg;
	pump(k);
	persist_marks(k);
}

static void on_rows(void *arg)
{
	pump(arg);
}

struct kafka_sink *kafka_start(struct event_base *base, outbox_t *ob,
	const struct kafka_options *opt, struct nodd_err *e)
{
	struct kafka_sink *k = nodd_calloc(1, sizeof *k, e);
	if (!k)
		return NULL;
	*k = (struct kafka_sink){ .base = base, .ob = ob, .opt = *opt, .pipefd = { -1, -1 } };
	size_t cap = opt->max_inflight ? opt->max_inflight : 20000;
	if (pipe2(k->pipefd, O_NONBLOCK | O_CLOEXEC) < 0) {
		nodd_fail(e, NODD_E_SYSTEM, "kafka: pipe: %s", strerror(errno));
		goto fail;
	}
	for (int i = 0; i < OUTBOX_TOPICS; i++)
		if (sink_cursor_init_acked(&k->t[i].cur, ob, i, cap, e) < 0)
			goto fail;
	k->rk = make_producer(k, e);
	if (!k->rk)
		goto fail;
	k->pipe_ev = event_new(base, k->pipefd[0], EV_READ | EV_PERSIST, on_pipe, k);
	k->timer_ev = event_new(base, -1, EV_PERSIST, on_timer, k);
	struct timeval tv = { 0, 200000 };
	event_add(k->pipe_ev, NULL);
	event_add(k->timer_ev, &tv);
	outbox_subscribe(ob, on_rows, k);
	log_info("kafka: producing to %s (topics %s, %s, %s, %s); resuming after #%llu, #%llu, "
		"#%llu and #%llu", opt->brokers, opt->topic[0], opt->topic[1], opt->topic[2],
		opt->topic[3], (unsigned long long)k->t[0].cur.acked,
		(unsigned long long)k->t[1].cur.acked, (unsigned long long)k->t[2].cur.acked,
		(unsigned long long)k->t[3].cur.acked);
	pump(k);
	return k;
fail:
	kafka_stop(k, 0);
	return NULL;
}

void kafka_stop(struct kafka_sink *k, int timeout_ms)
{
	if (!k)
		return;
	if (k->rk && timeout_ms > 0) {
		rd_kafka_flush(k->rk, timeout_ms);
		rd_kafka_poll(k->rk, 0);
		persist_marks(k);
	}
	destroy_producer(k);
	if (k->pipe_ev)
		event_free(k->pipe_ev);
	if (k->timer_ev)
		event_free(k->timer_ev);
	for (int i = 0; i < 2; i++)
		if (k->pipefd[i] >= 0)
			close(k->pipefd[i]);
	for (int i = 0; i < OUTBOX_TOPICS; i++)
		sink_cursor_deinit(&k->t[i].cur);
	free(k);
}

void kafka_get_stats(struct kafka_sink *k, struct kafka_stats *out)
{
	*out = k->stats;
	out->up = k->last_ok && unix_now() - k->last_ok < 30;
}

void kafka_metrics(void *arg, FILE *f)
{
	struct kafka_stats ks;
	kafka_get_stats(arg, &ks);
	prom_family(f, "nodd_outbox_backlog", "gauge",
		"Stream records not yet acknowledged by Kafka.");
	for (int t = 0; t < OUTBOX_TOPICS; t++)
		prom_sample(f, "nodd_outbox_backlog", "topic", outbox_topic_name(t), NULL, NULL,
			ks.backlog[t]);
	prom_family(f, "nodd_kafka_delivered_total", "counter", "Records acknowledged by the brokers.");
	prom_sample(f, "nodd_kafka_delivered_total", NULL, NULL, NULL, NULL, ks.delivered);
	prom_family(f, "nodd_kafka_errors_total", "counter", "Delivery errors and producer restarts.");
	prom_sample(f, "nodd_kafka_errors_total", NULL, NULL, NULL, NULL, ks.errors);
	prom_family(f, "nodd_kafka_up", "gauge",
		"1 when a broker acknowledged a record in the last 30 s.");
	prom_sample_i(f, "nodd_kafka_up", NULL, NULL, ks.up);
}
