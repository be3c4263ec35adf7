/* entriesfast.h -- the plain-shape reader of RFC 6962 get-entries bodies: what every log
 * sends, {"entries":[{"leaf_input":"<base64>","extra_data":"<base64>"},...]}, read
 * without building a JSON tree. It declines anything else before giving a single entry,
 * and the caller then reads the body with ct_entries_parse_json (ct/sth.h), which decides
 * what is an error. Whatever it accepts, ct_entries_parse_json reads the same way
 * (tests/fuzz/fuzz_ctentries.c compares the two). No network, no store. */
#ifndef NODD_CT_ENTRIESFAST_H
#define NODD_CT_ENTRIESFAST_H

#include <stddef.h>
#include <stdint.h>

#include "ct/sth.h"

/* Scratch memory the reader keeps between bodies (zero it before the first use). */
struct ct_entries_buf {
	uint8_t *leaf, *extra;
	size_t leafcap, extracap;
	struct ct_entries_slice *sl;
	size_t slcap;
};

void ct_entries_buf_free(struct ct_entries_buf *b);

enum { CT_ENTRIES_DECLINED = -1, CT_ENTRIES_STOPPED = -2 };

/* Read body (len bytes, borrowed): the object holds the one key "entries", an array of
 * objects with exactly the keys leaf_input and extra_data (each once, in either order),
 * strings of base64 without escapes; whitespace as JSON allows. Each entry goes to cb in
 * order, its leaf_input decoded; extra_data is checked as base64 and, with want_extra,
 * decoded and given too (else cb gets NULL, 0). Returns the number of entries given,
 * CT_ENTRIES_DECLINED when the body is not of that shape or out of memory (cb was not
 * called), or CT_ENTRIES_STOPPED when cb returned non-zero. */
long ct_entries_fast(const char *body, size_t len, int want_extra, ct_entry_cb cb, void *ctx,
	struct ct_entries_buf *buf);

#endif
