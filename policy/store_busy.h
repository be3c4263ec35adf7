/* store_busy.h -- internal to policy/store.c: whether a write on a connection other than
 * an apply worker's is to be refused at once (policy/store.h store_worker_writing), and
 * whether a commit checkpoints (policy/store_ckpt.c). */
#ifndef NODD_POLICY_STORE_BUSY_H
#define NODD_POLICY_STORE_BUSY_H

/* 1, and the refusal counted, while a worker announces a write transaction. */
int store_busy_refuse(void);

/* After a commit of a connection (a worker's: worker) leaving frames in the WAL: instead
 * of sqlite's automatic checkpoint (the same threshold), none on a worker's connection
 * or while a worker's commit waits for its own (store_checkpoint_defer). */
struct sqlite3;
void store_wal_commit(struct sqlite3 *db, const char *name, int frames, int worker);

#endif
