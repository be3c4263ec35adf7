/* ct_fixture.h -- the ct unit tests' access to the JSON files of ct_fixtures/ (written by
 * ct_fixtures/gen.py): the folder comes as the test's first argument. */
#ifndef NODD_CT_FIXTURE_H
#define NODD_CT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *fx_dir = "tests/unit/ct_fixtures";

/* The JSON of ct_fixtures/<name>.json; exits when it is missing (a broken checkout). */
static inline json_t *fx_load(const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.json", fx_dir, name);
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);
	if (!j) {
		printf("Bail out! %s: %s\n", path, jerr.text);
		exit(1);
	}
	return j;
}

static inline const char *fx_str(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	if (!s) {
		printf("Bail out! fixture has no string %s\n", key);
		exit(1);
	}
	return s;
}

/* Hex text into a malloc'd buffer; *len its size. */
static inline uint8_t *fx_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		b[i] = (uint8_t)v;
	}
	*len = n;
	return b;
}

static inline uint8_t *fx_hex(json_t *j, const char *key, size_t *len)
{
	return fx_unhex(fx_str(j, key), len);
}

/* 32 bytes of hex into out. */
static inline void fx_hash(const char *hex, uint8_t out[32])
{
	size_t n;
	uint8_t *b = fx_unhex(hex, &n);
	memcpy(out, b, n < 32 ? n : 32);
	free(b);
}

static inline void fx_init(int argc, char **argv)
{
	if (argc > 1)
		fx_dir = argv[1];
}

#endif
