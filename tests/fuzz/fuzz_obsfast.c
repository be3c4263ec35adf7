/* fuzz_obsfast.c -- libFuzzer target: arbitrary bytes as an observations batch body for
 * the plain-shape reader (server/obsfast.h). Whenever it accepts a body, jansson must read
 * the same body (with the duplicate-key check the API uses) as an array of as many
 * objects, or as an object holding that array as "observations" and nothing else but a
 * boolean "baseline" with the same value; each object with the same domain, source and
 * first_seen and no other key. Otherwise it must decline without reading past the body. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server/obsfast.h"

static int same_str(json_t *j, const char *s, size_t len)
{
	return json_is_string(j) && json_string_length(j) == len &&
		memcmp(json_string_value(j), s, len) == 0;
}

static int same_item(json_t *o, const struct obsfast_item *it)
{
	size_t keys = 1 + (it->source != NULL) + (it->first_seen >= 0);
	if (!json_is_object(o) || json_object_size(o) != keys)
		return 0;
	if (!same_str(json_object_get(o, "domain"), it->domain, it->dlen))
		return 0;
	if (it->source && !same_str(json_object_get(o, "source"), it->source, it->slen))
		return 0;
	json_t *fs = json_object_get(o, "first_seen");
	return it->first_seen < 0 || (json_is_integer(fs) && json_integer_value(fs) == it->first_seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so ASan sees any read past the body */
	char *body = malloc(size ? size : 1);
	if (!body)
		abort();
	memcpy(body, data, size);
	struct obsfast_item *items;
	int baseline = -1;
	long n = obsfast_read(body, size, &items, &baseline);
	if (n >= 0) {
		json_error_t e;
		json_t *top = json_loadb(body, size, JSON_REJECT_DUPLICATES, &e);
		json_t *j = top;
		if (json_is_object(top)) {
			json_t *b = json_object_get(top, "baseline");
			j = json_object_get(top, "observations");
			if (json_object_size(top) != 1u + (b != NULL) || (b && !json_is_boolean(b)) ||
				baseline != (b && json_is_true(b)))
				abort();
		} else if (baseline != 0) {
			abort();
		}
		if (!json_is_array(j) || json_array_size(j) != (size_t)n)
			abort();
		for (long i = 0; i < n; i++)
			if (!same_item(json_array_get(j, (size_t)i), &items[i]))
				abort();
		json_decref(top);
	} else if (items || baseline != 0) {
		abort();
	}
	free(items);
	free(body);
	return 0;
}
