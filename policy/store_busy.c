/* store_busy.c -- the process-wide state of the apply workers' write transactions: how
 * many are announced (store_worker_writing) and how many writes were refused meanwhile.
 * Atomics only, read and written from any thread; it knows nothing of sqlite and must not
 * wait. The refusal itself is made by policy/store.c's busy handler. */
#include "policy/store_busy.h"

#include <stdatomic.h>

#include "policy/store.h"

static atomic_int worker_writing;
static atomic_ullong busy_refused;

void store_worker_writing(int on)
{
	atomic_fetch_add(&worker_writing, on ? 1 : -1);
}

int store_worker_busy(void)
{
	return atomic_load(&worker_writing) > 0;
}

unsigned long long store_busy_refusals(void)
{
	return atomic_load(&busy_refused);
}

int store_busy_refuse(void)
{
	if (atomic_load(&worker_writing) <= 0)
		return 0;
	atomic_fetch_add(&busy_refused, 1);
	return 1;
}
