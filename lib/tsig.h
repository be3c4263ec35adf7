/* tsig.h -- TSIG (RFC 8945) on raw wire messages: keys, key table, signing and verifying
 * single requests/responses and multi-message transfers in both directions.
 *
 * Everything works on uint8_t wire buffers, never on ldns_pkt (see tsig.c for why).
 * Implemented in three parts: lib/tsig_key.c (algorithms, base64, keys, the keyring),
 * lib/tsig_msg.c (finding, reading and appending the TSIG RR), lib/tsig.c (the MACs).
 * Time is always passed in by the caller (unix seconds), so tests choose it.
 *
 * Who calls what:
 *   client (xfrin, probe):  tsig_sign_request()  ->  tsig_verifier_{init,feed,end}()
 *   server (query, signed, xfrout): tsig_verify_request() -> tsig_sign_response()  (one reply)
 *                                                 or tsig_signer_{init,sign,deinit}()
 *
 * Server-side check order (RFC 8945 5.2): malformed placement -> FORMERR; unknown key or
 * algorithm -> BADKEY; MAC size out of range -> FORMERR; MAC wrong -> BADSIG; MAC shorter
 * than the key's policy -> BADTRUNC; only then |now - Time Signed| > Fudge -> BADTIME.
 * A request never "verifies" unless every one of those checks passed. */
#ifndef NODD_TSIG_H
#define NODD_TSIG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/wire.h"

#define TSIG_MAX_MAC 64          /* octets, hmac-sha512 */
#define TSIG_MAX_SECRET 512      /* octets of decoded secret we accept */
#define TSIG_MAX_NAME 255        /* wire octets, with the root label */
#define TSIG_FUDGE_DEFAULT 300   /* seconds; the customary value */
#define TSIG_MAX_UNSIGNED 99     /* RFC 8945 5.3.1: unsigned messages a client accepts in a row */

#define TSIG_RR_TYPE 250
#define TSIG_CLASS_ANY 255

/* TSIG Error values (RFC 8945 5.2); the RCODEs are lib/wire.h's WIRE_RCODE_ names. */
enum tsig_code {
	TSIG_ERR_BADSIG = 16,
	TSIG_ERR_BADKEY = 17,
	TSIG_ERR_BADTIME = 18,
	TSIG_ERR_BADTRUNC = 22,
};

enum tsig_alg {
	TSIG_ALG_UNKNOWN = 0,
	TSIG_ALG_SHA1,
	TSIG_ALG_SHA224,
	TSIG_ALG_SHA256,
	TSIG_ALG_SHA384,
	TSIG_ALG_SHA512,
};

/* Call errors (not protocol outcomes): 0 ok, negative values below. */
enum tsig_err {
	TSIG_OK = 0,
	TSIG_E_INVAL = -1,     /* bad argument or malformed message */
	TSIG_E_SPACE = -2,     /* output buffer too small */
	TSIG_E_CRYPTO = -3,    /* OpenSSL failure */
	TSIG_E_NOMEM = -4,
	TSIG_E_EXISTS = -5,    /* key name already in the keyring */
};
const char *tsig_strerror(int err);

/* Protocol outcome of verifying one message. */
enum tsig_verdict {
	TSIG_V_OK = 0,          /* signed and valid */
	TSIG_V_UNSIGNED,        /* no TSIG (request: caller decides by ACL; stream: an accepted
	                         * unsigned intermediate message) */
	TSIG_V_FORMERR,         /* malformed message or TSIG placement/size; reply FORMERR, no TSIG */
	TSIG_V_BADKEY,          /* key name or algorithm unknown / not the expected one */
	TSIG_V_BADSIG,          /* MAC does not verify */
	TSIG_V_BADTRUNC,        /* MAC verifies but is shorter than the key's policy */
	TSIG_V_BADTIME,         /* MAC verifies, time outside fudge */
	TSIG_V_PEER_BADKEY,     /* a response whose TSIG Error is BADKEY (peer rejected our key) */
	TSIG_V_PEER_BADSIG,     /* ... BADSIG */
	TSIG_V_PEER_BADTIME,    /* ... BADTIME; tsig_result.other_time has the peer's clock */
	TSIG_V_PEER_ERROR,      /* ... any other non-zero TSIG Error */
	TSIG_V_STREAM,          /* stream rule broken: first/last unsigned, >99 unsigned in a row,
	                         * unsigned answer to a signed request */
};
const char *tsig_verdict_str(enum tsig_verdict v);

struct tsig_key {
	uint8_t name[TSIG_MAX_NAME];  /* lowercase wire name with root label */
	size_t name_len;
	char name_text[256];          /* presentation form without trailing dot, for logs */
	enum tsig_alg alg;
	uint8_t secret[TSIG_MAX_SECRET];
	size_t secret_len;
	size_t min_mac_len;           /* shortest MAC accepted; 0 = full digest length */
};

struct tsig_mac {
	uint8_t data[TSIG_MAX_MAC];
	uint16_t len;
};

/* Algorithm by name: "hmac-sha256", any case, optional trailing dot. UNKNOWN if not one of
 * hmac-sha1/224/256/384/512 (hmac-md5 is deprecated by RFC 8945 and not offered). */
enum tsig_alg tsig_alg_from_name(const char *name);
/* Presentation name without the dot ("hmac-sha256"); "unknown" for UNKNOWN. */
const char *tsig_alg_name(enum tsig_alg alg);
/* Digest output length in octets, 0 for UNKNOWN. */
size_t tsig_alg_mac_len(enum tsig_alg alg);

/* Decode a secret's base64 text (NUL-terminated; whitespace between characters is
 * skipped; padding required to a multiple of 4; lib/base64.h). out has outsz bytes.
 * Returns 0 and *outlen, or -1 with *why set to a static message: malformed text first
 * ("invalid base64 character", ...), then "secret longer than 512 octets" when it does not
 * fit, "empty base64 secret" for none. */
int tsig_base64_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen,
	const char **why);

/* Fill *key from text: name (presentation, any case, optional trailing dot), algorithm
 * name, base64 secret. Borrows all strings. Returns 0, or -1 with *why set. */
int tsig_key_init(struct tsig_key *key, const char *name, const char *alg,
	const char *secret_b64, const char **why);

/* ---- key table ---- */
struct tsig_keyring;

/* Returns a new empty keyring, or NULL when out of memory; free with tsig_keyring_free. */
struct tsig_keyring *tsig_keyring_new(void);
/* Frees the keyring and its keys (key pointers obtained from it become invalid); NULL ok. */
void tsig_keyring_free(struct tsig_keyring *kr);
/* Copy *key into the keyring (borrows key). TSIG_E_EXISTS when the name is present. */
int tsig_keyring_add(struct tsig_keyring *kr, const struct tsig_key *key);
/* Key by lowercase wire name (borrows name); the keyring owns the result. NULL if absent. */
const struct tsig_key *tsig_keyring_find(const struct tsig_keyring *kr,
	const uint8_t *name, size_t name_len);
/* Same, by presentation name (any case, optional trailing dot). */
const struct tsig_key *tsig_keyring_find_text(const struct tsig_keyring *kr, const char *name);
/* Key whose name AND algorithm match, else NULL (BADKEY). */
const struct tsig_key *tsig_keyring_find_alg(const struct tsig_keyring *kr,
	const uint8_t *name, size_t name_len, enum tsig_alg alg);
size_t tsig_keyring_count(const struct tsig_keyring *kr);
/* The i-th key (i < count), owned by the keyring. */
const struct tsig_key *tsig_keyring_get(const struct tsig_keyring *kr, size_t i);
/* 1 when both hold the same keys (names, algorithms, secrets, minimum MAC lengths) in any
 * order, else 0. NULL counts as empty. */
int tsig_keyring_same(const struct tsig_keyring *a, const struct tsig_keyring *b);

/* ---- what verification learns ---- */
struct tsig_result {
	enum tsig_verdict verdict;
	const struct tsig_key *key;     /* borrowed from the keyring/verifier; set only when
	                                 * the MAC verified (OK, BADTRUNC, BADTIME), else NULL */
	uint8_t key_name[TSIG_MAX_NAME]; /* from the message (lowercase wire), also for BADKEY */
	size_t key_name_len;
	uint8_t alg_name[TSIG_MAX_NAME]; /* algorithm name from the message (lowercase wire) */
	size_t alg_name_len;
	struct tsig_mac mac;            /* the message's MAC (request MAC for the response) */
	uint64_t time_signed;
	uint16_t fudge;
	uint16_t orig_id;
	uint16_t error;                 /* server: error to answer with (0 or TSIG_ERR_*);
	                                 * client: the TSIG Error field of the response */
	uint8_t rcode;                  /* server: RCODE to answer with (0, FORMERR, NOTAUTH) */
	uint64_t other_time;            /* BADTIME responses: the peer's 48-bit clock, else 0 */
	size_t msg_len;                 /* length of the message without the TSIG RR */
	size_t tsig_off;                /* offset of the TSIG RR (== msg_len) when present */
};

/* ---- client: requests ---- */

/* Append a TSIG RR to the request in msg (len bytes of cap): Original ID = the message ID,
 * Time Signed = now, the given fudge (0 -> TSIG_FUDGE_DEFAULT), ARCOUNT + 1. msg must not
 * carry a TSIG already. Borrows key and msg (modified in place); *mac receives the request
 * MAC the response is verified against. Returns 0 with *out_len, or TSIG_E_*. */
int tsig_sign_request(const struct tsig_key *key, uint8_t *msg, size_t len, size_t cap,
	uint64_t now, uint16_t fudge, struct tsig_mac *mac, size_t *out_len);

/* ---- server: requests in, responses out ---- */

/* Verify a request. Borrows keyring and msg (msg is not modified). Fills *res (owned by the
 * caller; res->key points into kr) and returns res->verdict:
 *   UNSIGNED (msg_len = len), OK, FORMERR (rcode FORMERR: TSIG not last, two TSIGs, bad RR
 *   walk, MAC size out of range), BADKEY/BADSIG/BADTRUNC/BADTIME (rcode NOTAUTH, error set).
 * Answer with tsig_sign_response(res, ...) for every verdict except UNSIGNED and FORMERR. */
enum tsig_verdict tsig_verify_request(const struct tsig_keyring *kr, const uint8_t *msg,
	size_t len, uint64_t now, struct tsig_result *res);

/* Append the TSIG of a single response to msg (len bytes of cap, the reply already built with
 * the request's ID). Borrows req (the result of tsig_verify_request) and msg (modified).
 *   OK:              signed: request MAC + message + variables, Time Signed = now.
 *   BADTIME:         signed, RCODE NOTAUTH, Error BADTIME, Time Signed = the request's,
 *                    Other Data = now (48 bits).
 *   BADKEY/BADSIG/BADTRUNC: unsigned TSIG (MAC size 0) with the request's key and algorithm
 *                    names, RCODE NOTAUTH, the Error set (never a signed error, RFC 8945 5.3.2).
 * Fudge is the request's. Returns 0 with *out_len, or TSIG_E_*. */
int tsig_sign_response(const struct tsig_result *req, uint8_t *msg, size_t len, size_t cap,
	uint64_t now, size_t *out_len);

/* Streaming signer for multi-message responses (AXFR/IXFR out). The struct is caller
 * storage (init/deinit); it keeps the prior MAC and the running digest between messages.
 * After a TSIG_E_* return the signer is unusable (deinit it and abort the transfer). */
struct tsig_signer {
	const struct tsig_key *key;   /* borrowed; must outlive the signer */
	struct tsig_mac prior;        /* request MAC, then the MAC of the last message */
	uint16_t fudge;
	unsigned nsigned;
	void *ctx;                    /* EVP_MAC_CTX * */
};
/* Borrows key (must outlive the signer) and copies *request_mac. fudge 0 -> default. */
int tsig_signer_init(struct tsig_signer *s, const struct tsig_key *key,
	const struct tsig_mac *request_mac, uint16_t fudge);
/* Sign the next message in place (len of cap bytes; borrowed, modified): the first with
 * request MAC + message + all variables, later ones with prior MAC + skipped messages +
 * message + timers only (RFC 8945 5.3.1). Time Signed = now. 0 with *out_len, or TSIG_E_*. */
int tsig_signer_sign(struct tsig_signer *s, uint8_t *msg, size_t len, size_t cap,
	uint64_t now, size_t *out_len);
/* Send msg (borrowed, len bytes) unsigned: its bytes enter the running digest of the next
 * signed message. Not allowed before the first signed message. nodd's transfers sign every
 * message; this exists to emulate sparse signers (NSD) in tests. */
int tsig_signer_skip(struct tsig_signer *s, const uint8_t *msg, size_t len);
void tsig_signer_deinit(struct tsig_signer *s);

/* ---- client: responses in (single or multi-message) ---- */

/* Streaming verifier. Feed every message of the response in order, then call end().
 * First and last message must be signed; up to 99 unsigned messages in a row are accepted
 * between signed ones and their bytes enter the running digest. */
struct tsig_verifier {
	const struct tsig_key *key;   /* borrowed; the key the request was signed with */
	struct tsig_mac prior;        /* request MAC, then the MAC of the last signed message */
	unsigned nmsg;                /* messages fed */
	unsigned unsigned_run;        /* unsigned messages since the last signed one */
	int failed;                   /* sticky: once a message failed, all later ones fail */
	void *ctx;                    /* EVP_MAC_CTX * holding the running digest */
};
int tsig_verifier_init(struct tsig_verifier *v, const struct tsig_key *key,
	const struct tsig_mac *request_mac);
/* Verify one message (borrowed, not modified) at time now. Fills *res and returns its
 * verdict: OK (signed, valid), UNSIGNED (accepted intermediate), or a failure; after a failure
 * the transfer must be discarded and the connection closed. res->msg_len is the length to
 * parse (TSIG excluded). */
enum tsig_verdict tsig_verifier_feed(struct tsig_verifier *v, const uint8_t *msg, size_t len,
	uint64_t now, struct tsig_result *res);
/* After the last message: TSIG_V_OK when at least one message was fed, the last one was
 * signed and nothing failed; else TSIG_V_STREAM (or the sticky failure). */
enum tsig_verdict tsig_verifier_end(const struct tsig_verifier *v);
void tsig_verifier_deinit(struct tsig_verifier *v);

/* ---- helpers ---- */

/* Walk the message and locate a TSIG RR. Returns 1 and *tsig_off when the last additional
 * record is a TSIG (the only one), 0 when there is none, -1 when malformed, a TSIG is not last,
 * or there are several. Borrows msg. */
int tsig_find(const uint8_t *msg, size_t len, size_t *tsig_off);

#endif
