/* query.c -- classify each message once and hand it to one handler (see query.h). Holds
 * the handlers the daemon registers and nothing else; no I/O of its own. */
#include "server/query.h"

#include <stdatomic.h>

#include "lib/wire.h"
#include "server/metrics.h"
#include "server/querylog.h"
#include "server/signed.h"

static query_notify_fn notify_fn;
static void *notify_ctx;
static query_xfr_fn xfr_fn;
static void *xfr_ctx;
static const struct tsig_keyring *_Atomic keys;

void query_set_notify(query_notify_fn fn, void *ctx)
{
	notify_fn = fn;
	notify_ctx = ctx;
}

void query_set_transfer(query_xfr_fn fn, void *ctx)
{
	xfr_fn = fn;
	xfr_ctx = ctx;
}

void query_set_keys(const struct tsig_keyring *kr)
{
	atomic_store(&keys, kr);
}

enum query_kind query_classify(const struct answer_req *r)
{
	switch (r->status) {
	case ANSWER_DROP:
		return QUERY_DROP;
	case ANSWER_BAD_OPCODE:
		return r->opcode == WIRE_OPCODE_NOTIFY ? QUERY_NOTIFY : QUERY_ERROR;
	case ANSWER_BAD_QUESTION:
	case ANSWER_BAD_RECORDS:
		return QUERY_ERROR;
	case ANSWER_OK:
		break;
	}
	if (r->xfr)
		return QUERY_TRANSFER;
	return r->has_tsig ? QUERY_SIGNED : QUERY_STANDARD;
}

/* A transfer: the handler writes to the connection, or REFUSED in o->buf. */
static size_t transfer(const struct answer_req *r, const struct sockaddr *peer,
	socklen_t peerlen, struct query_out *o, struct answer_info *info)
{
	answer_info_of(r, info);
	info->zone = r->zone;
	info->xfr = 1;
	if (xfr_fn && o->tcp &&
	    xfr_fn(xfr_ctx, r->q, r->qlen, peer, peerlen, o->tcp, &o->stream) == 0)
		return 0;
	info->rcode = WIRE_RCODE_REFUSED;
	return answer_error(r->q, r->qlen, WIRE_RCODE_REFUSED, o->buf, o->cap);
}

/* A NOTIFY: the handler's reply, its RCODE counted. */
static size_t notify(const struct answer_req *r, const struct sockaddr *peer,
	socklen_t peerlen, struct query_out *o, struct answer_info *info)
{
	answer_info_of(r, info);
	size_t len = notify_fn(notify_ctx, r->q, r->qlen, peer, peerlen, o->buf, o->cap);
	if (len >= WIRE_HEADER_SIZE)
		info->rcode = o->buf[3] & WIRE_RCODE_MASK;
	return len;
}

static size_t dispatch(const struct answer_cfg *cfg, const struct answer_view *view,
	const struct answer_req *r, const struct sockaddr *peer, socklen_t peerlen,
	struct query_out *o, struct answer_info *info)
{
	switch (query_classify(r)) {
	case QUERY_NOTIFY:
		if (notify_fn)
			return notify(r, peer, peerlen, o, info);
		break;
	case QUERY_TRANSFER:
		return transfer(r, peer, peerlen, o, info);
	case QUERY_SIGNED: {
		const struct tsig_keyring *kr = atomic_load(&keys);
		if (kr)
			return signed_answer(kr, cfg, view, r, o->buf, o->cap, info);
		break;
	}
	case QUERY_DROP:
	case QUERY_ERROR:
	case QUERY_STANDARD:
		break;
	}
	return answer_reply(cfg, view, r, o->buf, o->cap, info);
}

size_t query_reply(const struct answer_cfg *cfg, const struct answer_view *view,
	const struct answer_req *r, const struct sockaddr *peer, socklen_t peerlen,
	struct query_out *o, struct answer_info *info)
{
	o->stream = NULL;
	size_t len = dispatch(cfg, view, r, peer, peerlen, o, info);
	metrics_query(o->tcp != NULL, info->qtype, info->rcode, len == 0 && !info->xfr);
	querylog_note(cfg, r, info, peer);
	return len;
}

size_t query_handle(const struct answer_cfg *cfg, const struct answer_view *view,
	const uint8_t *q, size_t qlen, const struct sockaddr *peer, socklen_t peerlen,
	struct query_out *o, struct answer_info *info)
{
	struct answer_req r;
	answer_parse(cfg, q, qlen, o->tcp != NULL, &r);
	return query_reply(cfg, view, &r, peer, peerlen, o, info);
}
