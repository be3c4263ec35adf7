/* store_ckpt.h -- WAL checkpoints of the store on a thread of their own (store_ckpt.c). */
#ifndef NODD_POLICY_STORE_CKPT_H
#define NODD_POLICY_STORE_CKPT_H

#include <sqlite3.h>

#include "lib/err.h"

struct store_ckpt;

/* From now on db's commits leave checkpoints to a thread with its own connection to
 * path (db must be in WAL mode). NULL with e set when the thread cannot start. */
struct store_ckpt *store_ckpt_start(sqlite3 *db, const char *path, struct nodd_err *e);

/* Stop the thread and close its connection; db checkpoints itself again. Call before
 * closing db. NULL is a no-op. */
void store_ckpt_stop(struct store_ckpt *c);

#endif
