/* ingest.c -- from an entry read to what nodd records: the leaf's hash, names and issuance
 * key (ct/leaf.h, ct/names.h), then, at commit, the registrable domains observed through
 * policy/nod.h, the candidates and the newly_registered_fqdn records (ct/state.h); and the
 * status and metrics of a followed log. Sends no request and decides nothing about the
 * log's position (ct/follow.c). */
#define LOG_CATEGORY LOG_CAT_CT
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct/follow_int.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/prom.h"

static const char *const state_names[] = { "polling", "starting", "reading", "verifying",
	"caught-up", "drained", "failing", "committing" };


struct names_buf {
	char *p;
	size_t len, cap;
};

static int add_name(void *ctx, const char *fqdn)
{
	struct names_buf *nb = ctx;
	size_t l = strlen(fqdn) + 1;
	if (nb->len + l + 1 > nb->cap) {
		size_t cap = nb->cap ? nb->cap * 2 : 256;
		while (cap < nb->len + l + 1)
			cap *= 2;
		char *np = realloc(nb->p, cap);
		if (!np)
			return 1;
		nb->p = np;
		nb->cap = cap;
	}
	memcpy(nb->p + nb->len, fqdn, l);
	nb->len += l;
	nb->p[nb->len] = '\0';
	return 0;
}

/* Hash the leaf and read its names into h (a malformed certificate holds no name). */
void ct_ingest_leaf(struct ct_follow *f, const uint8_t *leaf, size_t len, uint64_t index,
	struct held *h, uint8_t lh[32], const struct ct_leaf *parsed)
{
	struct ct_leaf l;
	struct nodd_err e = { 0 };
	memset(h, 0, sizeof *h);
	h->index = index;
	if (parsed) {
		l = *parsed;
	} else if (ct_leaf_parse(leaf, len, &l, &e) < 0) {
		ct_hash_leaf(leaf, len, lh);
		log_debug("ct %s: entry %" PRIu64 ": %s", f->desc, index, e.msg);
		return;
	}
	memcpy(lh, l.leaf_hash, 32);
	h->ts = (int64_t)(l.timestamp_ms / 1000);
	struct names_buf nb = { 0 };
	if (ct_names_extract(&l, add_name, &nb, h->key, &e) < 0) {
		log_debug("ct %s: entry %" PRIu64 ": %s", f->desc, index, e.msg);
		free(nb.p);
		return;
	}
	h->has_key = 1;
	h->names = nb.p;
}


static int fqdn_record(struct ct_follow *f, const char *fqdn, const struct held *h,
	const char *source, int64_t now)
{
	/* built as text (as jansson would write it), without a JSON value per record */
	outbox_t *ob = f->env.ob;
	outbox_rec_begin(ob);
	outbox_rec_str(ob, "fqdn", fqdn);
	outbox_rec_int(ob, "cert_index", (int64_t)h->index);
	outbox_rec_str(ob, "ct_name", f->desc);
	outbox_rec_int(ob, "timestamp", now);
	outbox_rec_int(ob, "submission_timestamp", h->ts);
	outbox_rec_str(ob, "source", source);
	return outbox_rec_append(ob, OUTBOX_NRFQDN, fqdn, now, NULL);
}

/* The observations and records of one entry. 0, or -1 on a store failure. */
/* Observe dom once per entry (a certificate's names mostly share a domain): 1 when its
 * host names are streamed (a candidate of the last 24 h), 0 when not, -1 on error. */
struct seen_dom {
	char dom[CT_NAME_MAX];
	int streamed;
};

static int observe_domain(struct ct_follow *f, const char *dom, const char *source,
	const struct nod_ct_fields *ct, int64_t now)
{
	enum nod_outcome out;
	if (nod_observe_ct(f->env.nod, dom, now, source, now, ct, &out, NULL) < 0)
		return -1;
	if (out == NOD_NEW && !ct->learning) {
		f->candidates++;
		if (ct_state_candidate_add(f->env.st, dom, now, ct->listed) < 0 ||
		    ct_confirm_candidate(f->env.confirm, dom, now) < 0)
			return -1;
		return 1;
	}
	if (out != NOD_KNOWN)
		return 0;
	int64_t fs;
	int c = ct_state_candidate(f->env.st, dom, &fs);
	return c < 0 ? -1 : c == 1 && now - fs < 86400;
}

int ct_ingest_entry(struct ct_follow *f, const struct held *h, int64_t now, int *records)
{
	if (!h->names)
		return 0;
	int fresh = ct_state_issuance(f->env.st, h->key);
	if (fresh < 0)
		return -1;
	if (!fresh) {
		f->dups++;
		return 0;
	}
	char source[600], dom[CT_NAME_MAX];
	snprintf(source, sizeof source, "ct %s %" PRIu64, f->desc, h->index);
	struct nod_ct_fields ct = { .cert_index = (int64_t)h->index, .ct_name = f->desc,
		.submission_timestamp = h->ts, .learning = now < f->env.learning_end,
		.listed = f->env.list_all };
	struct seen_dom seen[8];
	int nseen = 0;
	for (const char *n = h->names; *n; n += strlen(n) + 1) {
		f->names++;
		if (!ct_registrable(f->env.psl, n, dom, sizeof dom))
			continue;
		int i = 0;
		while (i < nseen && strcmp(seen[i].dom, dom) != 0)
			i++;
		int streamed = i < nseen ? seen[i].streamed : observe_domain(f, dom, source, &ct, now);
		if (streamed < 0)
			return -1;
		if (i == nseen && nseen < 8) {
			memcpy(seen[nseen].dom, dom, sizeof dom);
			seen[nseen++].streamed = streamed;
		}
		if (streamed) {
			int nf = ct_state_fqdn(f->env.st, n, now);
			if (nf < 0 || (nf == 1 && fqdn_record(f, n, h, source, now) < 0))
				return -1;
			*records += nf;
		}
	}
	return 0;
}

static uint64_t lag_entries(const struct ct_follow *f)
{
	return f->sth.tree_size > f->done.size ? f->sth.tree_size - f->done.size : 0;
}

/* Seconds the committed position is behind: since the head it has not reached yet was
 * signed; 0 when caught up. */
static int64_t lag_seconds(const struct ct_follow *f)
{
	if (!lag_entries(f))
		return 0;
	int64_t d = unix_now() - (int64_t)(f->sth.timestamp_ms / 1000);
	return d > 0 ? d : 0;
}

json_t *ct_follow_status(const struct ct_follow *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "log", json_string(f->desc));
	json_object_set_new(o, "url", json_string(f->tiled ? f->mon : f->url));
	json_object_set_new(o, "protocol", json_string(f->tiled ? "static-ct-api" : "rfc6962"));
	json_object_set_new(o, "state", json_string(state_names[f->state]));
	json_object_set_new(o, "tree_size", json_integer((json_int_t)f->sth.tree_size));
	json_object_set_new(o, "position", json_integer((json_int_t)f->done.size));
	json_object_set_new(o, "verified_tree_size", json_integer((json_int_t)f->vsth.tree_size));
	json_object_set_new(o, "committing_to", f->run.active
		? json_integer((json_int_t)f->run.end.size) : json_null());
	json_object_set_new(o, "reads_while_committing", json_integer((json_int_t)f->read_ahead));
	json_object_set_new(o, "lag_entries", json_integer((json_int_t)lag_entries(f)));
	json_object_set_new(o, "lag_seconds", json_integer(lag_seconds(f)));
	json_object_set_new(o, "entries_per_second", json_real(f->eps));
	json_object_set_new(o, "names_per_second", json_real(f->nps));
	json_object_set_new(o, "entries", json_integer((json_int_t)f->entries));
	json_object_set_new(o, "names", json_integer((json_int_t)f->names));
	json_object_set_new(o, "duplicates", json_integer((json_int_t)f->dups));
	json_object_set_new(o, "candidates", json_integer((json_int_t)f->candidates));
	json_object_set_new(o, "errors", json_integer((json_int_t)f->errors));
	json_object_set_new(o, "last_error", f->last_error[0] ? json_string(f->last_error)
		: json_null());
	return o;
}

void ct_follow_metrics(struct ct_follow *const *fs, size_t n, FILE *out)
{
	static const struct {
		const char *name, *type, *help;
	} fam[] = {
		{ "nodd_ct_tree_size", "gauge", "Entries in the log's newest verified tree head." },
		{ "nodd_ct_position", "gauge", "Entries read, verified and committed." },
		{ "nodd_ct_lag_entries", "gauge", "Entries of the tree head not committed yet." },
		{ "nodd_ct_lag_seconds", "gauge", "Age of the tree head the log is read to, while behind." },
		{ "nodd_ct_entries_total", "counter", "Entries committed." },
		{ "nodd_ct_names_total", "counter", "Host names taken from committed entries." },
		{ "nodd_ct_candidates_total", "counter", "Registrable domains never seen before." },
		{ "nodd_ct_errors_total", "counter", "Failed requests, verifications and commits." },
		{ "nodd_ct_failing", "gauge", "1 when the log failed verification and is not read." },
	};
	for (size_t k = 0; k < sizeof fam / sizeof fam[0]; k++) {
		prom_family(out, fam[k].name, fam[k].type, fam[k].help);
		for (size_t i = 0; i < n; i++) {
			const struct ct_follow *f = fs[i];
			uint64_t v[] = { f->sth.tree_size, f->done.size, lag_entries(f),
				(uint64_t)lag_seconds(f), f->entries, f->names, f->candidates,
				f->errors, f->state == F_FAILING };
			prom_sample(out, fam[k].name, "log", f->desc, NULL, NULL, v[k]);
		}
	}
	prom_family(out, "nodd_ct_commit_slice_seconds_max", "gauge",
		"The longest commit transaction of the log's entries since the start, seconds.");
	for (size_t i = 0; i < n; i++)
		prom_sample_f(out, "nodd_ct_commit_slice_seconds_max", "log", fs[i]->desc,
			fs[i]->slice_max);
	prom_family(out, "nodd_ct_reads_while_committing_total", "counter",
		"Ranges whose reading started while the verified range before them was committing.");
	for (size_t i = 0; i < n; i++)
		prom_sample(out, "nodd_ct_reads_while_committing_total", "log", fs[i]->desc, NULL,
			NULL, fs[i]->read_ahead);
	prom_family(out, "nodd_ct_commit_slices_put_off_total", "counter",
		"Commit slices put off because a zone's first copy was being written to the store.");
	for (size_t i = 0; i < n; i++)
		prom_sample(out, "nodd_ct_commit_slices_put_off_total", "log", fs[i]->desc, NULL, NULL,
			fs[i]->busy_retries);
	prom_family(out, "nodd_ct_commit_slice_cpu_seconds_max", "gauge",
		"The most CPU time one commit transaction of the log's entries took since the start.");
	for (size_t i = 0; i < n; i++)
		prom_sample_f(out, "nodd_ct_commit_slice_cpu_seconds_max", "log", fs[i]->desc,
			fs[i]->slice_cpu_max);
}

