/* test_querylog.c -- the query log's token bucket: a second's worth of lines at once, then
 * one per 1/rate s, the lines beyond counted; and the same from several threads at once
 * (no line admitted beyond the bucket, none lost to a race). */
#include <pthread.h>
#include <stdatomic.h>

#include "server/querylog.h"
#include "tests/unit/tap.h"

#define SEC 1000000000LL

static atomic_int admitted;

static void *burst(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++)
		if (querylog_admit(1000 * SEC))
			atomic_fetch_add(&admitted, 1);
	return NULL;
}

int main(void)
{
	querylog_set(1, 10);
	int64_t t = 100 * SEC;
	int n = 0;
	for (int i = 0; i < 50; i++)
		n += querylog_admit(t);
	is_int(n, 10, "a burst of one second's worth (rate 10)");
	ok(!querylog_admit(t + SEC / 20), "nothing more half an interval later");
	ok(querylog_admit(t + SEC / 10), "one more after 1/rate s");
	ok(!querylog_admit(t + SEC / 10), "and only one");
	n = 0;
	for (int i = 0; i < 50; i++)
		n += querylog_admit(t + 10 * SEC);
	is_int(n, 10, "after a quiet spell, a full burst again, not more");

	querylog_set(1, 100);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, burst, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	is_int(atomic_load(&admitted), 100, "four threads at once share one bucket of 100");
	return tap_done();
}
