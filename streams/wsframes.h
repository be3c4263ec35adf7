/* wsframes.h -- outbox records framed once as WebSocket text frames, shared by every client.
 *
 * A chunk holds the frames of a run of consecutive seqs of one topic, contiguous in one
 * buffer, with each record's offset, and a reference count. A client sends from seq s by
 * adding a reference to the chunk's bytes from s on to its output (no copy per client);
 * the chunk is freed when the cache and every output holding it let go. The cache keeps
 * the newest chunks of each topic, so clients at the live edge share the same bytes and
 * the outbox is read once for all of them. Main thread only. */
#ifndef NODD_WSFRAMES_H
#define NODD_WSFRAMES_H

#include <event2/buffer.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/outbox.h"

struct ws_chunk;
struct ws_frames;

struct ws_frames *ws_frames_new(outbox_t *ob, size_t cache_bytes);
void ws_frames_free(struct ws_frames *wf); /* chunks still referenced live on; NULL: no-op */

/* Add the framed records of topic from seq on (as many as one chunk holds) to out, by
 * reference. Returns the number of records added (0: none newer), -1 on an error (store,
 * memory). *bytes (may be NULL) gets the bytes added. */
int ws_frames_add(struct ws_frames *wf, int topic, uint64_t seq, struct evbuffer *out,
	size_t *bytes);

#endif
