/* notifyout.h -- NOTIFY (RFC 1996) to every transfer.notify target when a published zone
 * gets a new version: signed when the target has a key, retried with backoff (1, 2, 4, 8,
 * 16 s) until answered, at most 5 retries. A newer version replaces a pending one.
 * Sends and retries NOTIFY only; never transfers a zone and never changes a version. */
#ifndef NODD_NOTIFYOUT_H
#define NODD_NOTIFYOUT_H

#include <event2/event.h>
#include <jansson.h>

#include "server/answer.h"
#include "conf/config.h"
#include "lib/err.h"
#include "lib/tsig.h"

struct notifyout;

/* Borrows base, cfg, kr and acfgp (they must outlive it). NULL with e set on failure. */
struct notifyout *notifyout_start(struct event_base *base, const struct nodd_config *cfg,
	const struct tsig_keyring *kr, struct answer_cfg *_Atomic *acfgp, struct nodd_err *e);

/* Tell every target that zone (0..7) now has serial. NULL n is a no-op. */
void notifyout_zone(struct notifyout *n, int zone, uint32_t serial);

/* Tell every target again that zone has serial, as notifyout_zone does, the targets
 * muted by a NOTAUTH or REFUSED included (an operator asked). Returns the number of
 * targets sent to. NULL n: 0. */
int notifyout_resend(struct notifyout *n, int zone, uint32_t serial);

/* A reload's keys (borrowed, outliving n): later sends are signed with them; an answer to
 * a request already sent verifies with the key that signed it. NULL n is a no-op. */
void notifyout_set_keys(struct notifyout *n, const struct tsig_keyring *kr);

void notifyout_stop(struct notifyout *n); /* NULL is a no-op */

/* Per target, for zone only: address, key and, when the zone was notified since the
 * start, serial, state, tries (rcode) and at as in notifyout_status; else state "never
 * sent". NULL n: an empty array. New reference. */
json_t *notifyout_zone_status(struct notifyout *n, int zone);

/* Per target: address, key and, per zone notified since the start, the serial, the state
 * ("pending", "acknowledged", "no answer", "not a secondary", "error" with its rcode), the
 * sends and when the state last changed. New reference. */
json_t *notifyout_status(struct notifyout *n);

#endif
