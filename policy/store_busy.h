/* store_busy.h -- internal to policy/store.c: whether a write on a connection other than
 * an apply worker's is to be refused at once (policy/store.h store_worker_writing). */
#ifndef NODD_POLICY_STORE_BUSY_H
#define NODD_POLICY_STORE_BUSY_H

/* 1, and the refusal counted, while a worker announces a write transaction. */
int store_busy_refuse(void);

#endif
