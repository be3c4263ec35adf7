/* wire.h -- a DNS message writer: a sized buffer with a sticky overflow error, name
 * compression against the names already written, header and RR helpers.
 *
 * Why not ldns_pkt2wire: it costs about 5 us per record when compressing and has no
 * byte budget (shared/REFERENCE.md section 0.2). This writer never allocates and never
 * writes past its limit: a write that does not fit sets w->err and every later write is
 * a no-op (as ldns_buffer's status), so a caller writes a whole RRset, then checks err
 * once and rolls back to a mark (truncation without partial RRsets).
 *
 * Compression (RFC 1035 4.1.4): every label start of a name written through wire_name()
 * or registered with wire_learn() below offset 0x4000 is remembered (up to
 * WIRE_MAX_NAMES of them); a later name whose suffix equals one of them
 * (case-insensitively) is written as its leading labels plus a pointer. Names in RDATA
 * should only go through wire_name() for the types RFC 3597 section 4 allows (NS, CNAME,
 * SOA, PTR, MX); other RDATA names are written with wire_put(). */
#ifndef NODD_WIRE_H
#define NODD_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define WIRE_HEADER_SIZE 12
#define WIRE_OPT_SIZE 11     /* an OPT RR without options */
#define WIRE_MAX_NAMES 64    /* remembered label starts; more are written uncompressed */

/* Header flag bits (the 16-bit word at offset 2). */
#define WIRE_QR 0x8000
#define WIRE_AA 0x0400
#define WIRE_TC 0x0200
#define WIRE_RD 0x0100
#define WIRE_RA 0x0080
#define WIRE_AD 0x0020
#define WIRE_CD 0x0010
#define WIRE_OPCODE(op) ((uint16_t)(((op) & 0x0F) << 11))
#define WIRE_RCODE_MASK 0x000F

/* Opcodes (RFC 1035 4.1.1, RFC 1996). */
enum { WIRE_OPCODE_QUERY = 0, WIRE_OPCODE_NOTIFY = 4 };

/* RCODEs (RFC 1035 4.1.1, RFC 2136, RFC 6891): the one spelling of the codes nodd sends
 * and reads. BADVERS is an extended RCODE: its upper bits go into the OPT record. */
enum {
	WIRE_RCODE_NOERROR = 0, WIRE_RCODE_FORMERR = 1, WIRE_RCODE_SERVFAIL = 2,
	WIRE_RCODE_NXDOMAIN = 3, WIRE_RCODE_NOTIMP = 4, WIRE_RCODE_REFUSED = 5,
	WIRE_RCODE_NOTAUTH = 9, WIRE_RCODE_BADVERS = 16,
};

/* RR types and classes the writers use. */
enum {
	WIRE_T_A = 1, WIRE_T_NS = 2, WIRE_T_CNAME = 5, WIRE_T_SOA = 6, WIRE_T_TXT = 16,
	WIRE_T_OPT = 41, WIRE_T_TSIG = 250, WIRE_T_IXFR = 251, WIRE_T_AXFR = 252,
	WIRE_T_MAILB = 253, WIRE_T_MAILA = 254, WIRE_T_ANY = 255,
};
enum { WIRE_C_IN = 1, WIRE_C_CH = 3, WIRE_C_ANY = 255 };

/* Reading: big-endian integers at p; the caller has checked the bytes are there. */
static inline uint16_t wire_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t wire_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The message sections, for the counts in the header. */
enum wire_section { WIRE_QD = 0, WIRE_AN = 1, WIRE_NS = 2, WIRE_AR = 3 };

struct wire_label {
	uint16_t off;   /* where the label starts in the message */
	uint8_t rest;   /* uncompressed length from there to the end of the name, root included */
};

struct wire {
	uint8_t *buf;        /* borrowed: the message being written */
	size_t size;         /* bytes available in buf */
	size_t cap;          /* current limit (<= size): wire_set_cap() */
	size_t len;          /* bytes written */
	int err;             /* sticky: a write did not fit under cap */
	enum wire_section section; /* where wire_rr_end() counts records */
	uint16_t count[4];   /* QD/AN/NS/AR counts, written into the header by wire_finish() */
	int nlabels;
	struct wire_label labels[WIRE_MAX_NAMES];
};

/* A point to roll back to: length, counts and compression table as they were. */
struct wire_mark {
	size_t len;
	uint16_t count[4];
	int nlabels;
};

/* Start an empty message in buf (borrowed, size bytes). */
void wire_init(struct wire *w, uint8_t *buf, size_t size);

/* Limit the message to cap bytes (clamped to the buffer size). Lowering the limit does
 * not cut what is written; use it to keep room for a record that must come last. */
void wire_set_cap(struct wire *w, size_t cap);

/* Raw bytes and big-endian integers. Inline: an answer makes a few dozen of these calls. */
static inline int wire_room(struct wire *w, size_t n)
{
	if (w->err)
		return 0;
	if (w->len > w->cap || n > w->cap - w->len) {
		w->err = 1;
		return 0;
	}
	return 1;
}

static inline void wire_put(struct wire *w, const void *data, size_t n)
{
	if (!wire_room(w, n))
		return;
	if (n)
		memcpy(w->buf + w->len, data, n);
	w->len += n;
}

static inline void wire_put8(struct wire *w, uint8_t v)
{
	if (wire_room(w, 1))
		w->buf[w->len++] = v;
}

static inline void wire_put16(struct wire *w, uint16_t v)
{
	if (!wire_room(w, 2))
		return;
	w->buf[w->len++] = (uint8_t)(v >> 8);
	w->buf[w->len++] = (uint8_t)v;
}

static inline void wire_put32(struct wire *w, uint32_t v)
{
	if (!wire_room(w, 4))
		return;
	w->buf[w->len++] = (uint8_t)(v >> 24);
	w->buf[w->len++] = (uint8_t)(v >> 16);
	w->buf[w->len++] = (uint8_t)(v >> 8);
	w->buf[w->len++] = (uint8_t)v;
}

/* The 12-byte header at the start of the message, counts 0. */
void wire_header(struct wire *w, uint16_t id, uint16_t flags);
/* The flag word of the header already written (no-op when there is none). */
uint16_t wire_flags(const struct wire *w);
void wire_set_flags(struct wire *w, uint16_t flags);

/* Records written from now on are counted in this section. */
void wire_section(struct wire *w, enum wire_section s);

/* A name (wire form with the root label, len bytes, any case; borrowed), compressed
 * against the names written so far; its new labels are remembered. */
void wire_name(struct wire *w, const uint8_t *name, size_t len);
/* A compression pointer to a name already in the message at off (< 0x4000). */
void wire_name_ptr(struct wire *w, size_t off);
/* Remember the labels of a name already in the message at off (for example a question
 * echoed byte for byte), so later names compress against it. The name must be well
 * formed (as dname_wire_parse() checks); a malformed one is ignored. */
void wire_learn(struct wire *w, size_t off);

/* A question: name (compressed), type, class; counted in QD. */
void wire_question(struct wire *w, const uint8_t *name, size_t len, uint16_t type,
	uint16_t cls);

/* A question copied byte for byte (name, type, class: n bytes, borrowed; the name must
 * be well formed where it lands, e.g. copied from a query to the same offset); its name
 * is learnt and it is counted in QD. */
void wire_question_copy(struct wire *w, const uint8_t *question, size_t n);

/* Record framing: after writing the owner, wire_rr_head() writes TYPE, CLASS, TTL and a
 * zero RDLENGTH, and returns where RDLENGTH is; write the RDATA, then wire_rr_end() sets
 * RDLENGTH and counts the record in the current section. */
size_t wire_rr_head(struct wire *w, uint16_t type, uint16_t cls, uint32_t ttl);
void wire_rr_end(struct wire *w, size_t rdlen_at);

/* Whole records of class IN. The owner is a wire name with root (borrowed), compressed
 * against the message; or NULL with olen = the offset of a name already in the message
 * (the question at 12, say), written as a pointer to it without any search. */
struct wire_soa {
	const uint8_t *mname;   /* borrowed */
	size_t mname_len;
	const uint8_t *rname;   /* borrowed */
	size_t rname_len;
	uint32_t serial, refresh, retry, expire, minimum;
};
void wire_rr_soa(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const struct wire_soa *soa);
void wire_rr_ns(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const uint8_t *target, size_t tlen);
void wire_rr_cname(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const uint8_t *target, size_t tlen);
void wire_rr_a(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const uint8_t addr[4]);
/* TXT: text (borrowed, n bytes) split into character-strings of at most 255 octets; an
 * empty text is one empty string. */
void wire_rr_txt(struct wire *w, const uint8_t *owner, size_t olen, uint32_t ttl,
	const void *text, size_t n);

/* An OPT RR (RFC 6891) without options, counted in the additional section. ext_rcode is
 * the upper 8 bits of the 12-bit RCODE (BADVERS 16 -> 1). */
void wire_opt(struct wire *w, uint16_t payload, uint8_t ext_rcode, uint8_t version,
	int do_bit);

void wire_mark(const struct wire *w, struct wire_mark *m);
/* Back to the mark: length, counts and compression table restored, error cleared. */
void wire_rollback(struct wire *w, const struct wire_mark *m);

/* Write the section counts into the header. Returns the message length, or 0 when the
 * error is set (the caller should have rolled back) or there is no header. */
size_t wire_finish(struct wire *w);

#endif
