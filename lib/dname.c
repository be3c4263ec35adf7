/* dname.c -- domain-name helpers. The wire parser sits on the query path, so it does no
 * allocation and is fuzzed (tests/fuzz/fuzz_dname.c).
 * Knows no zone and no index; allocates nothing on the wire path. */
#include "lib/dname.h"

#include <stdio.h>
#include <string.h>

static int ldh_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int dname_text_normalize(const char *in, char *out, size_t outsz, const char **why)
{
	const char *w = NULL;
	size_t n = strlen(in);
	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0) {
		w = "empty name";
		goto fail;
	}
	if (n > DNAME_MAX_TEXT) {
		w = "name longer than 253 octets";
		goto fail;
	}
	if (outsz < n + 1) {
		w = "name too long";
		goto fail;
	}
	size_t lab = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || in[i] == '.') {
			if (lab == 0) {
				w = "empty label";
				goto fail;
			}
			if (lab > 63) {
				w = "label longer than 63 octets";
				goto fail;
			}
			if (out[i - 1] == '-' || out[i - lab] == '-') {
				w = "label starts or ends with '-'";
				goto fail;
			}
			if (i < n)
				out[i] = '.';
			lab = 0;
			continue;
		}
		unsigned char c = (unsigned char)in[i];
		c = dname_lower(c);
		if (!ldh_char(c)) {
			w = "invalid character in name";
			goto fail;
		}
		out[i] = (char)c;
		lab++;
	}
	out[n] = '\0';
	return 0;
fail:
	if (why)
		*why = w;
	if (outsz)
		out[0] = '\0';
	return -1;
}

int dname_text_to_wire(const char *norm, uint8_t *wire)
{
	size_t n = strlen(norm);
	if (n > DNAME_MAX_TEXT)
		return -1;
	size_t o = 0;
	const char *p = norm;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || o + 1 + l + 1 > DNAME_MAX_WIRE)
			return -1;
		wire[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			wire[o++] = dname_lower((uint8_t)p[i]);
		p += l;
		if (*p == '.')
			p++;
	}
	wire[o++] = 0;
	return (int)o;
}

/* One label byte as text: *n bytes into buf. zone: ldns's escapes (see dname.h), else
 * everything outside LDH, '_' and '*' as \DDD and letters kept in their case. */
static size_t char_text(unsigned char c, int zone, char buf[4])
{
	int dec = zone ? c < 0x21 || c > 0x7e
		: !(ldh_char(dname_lower(c)) || (c >= 'A' && c <= 'Z') || c == '*');
	if (dec) {
		buf[0] = '\\';
		buf[1] = (char)('0' + c / 100);
		buf[2] = (char)('0' + c / 10 % 10);
		buf[3] = (char)('0' + c % 10);
		return 4;
	}
	if (zone && (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\')) {
		buf[0] = '\\';
		buf[1] = (char)c;
		return 2;
	}
	buf[0] = (char)(zone ? dname_lower(c) : c);
	return 1;
}

static int wire_text(const uint8_t *wire, size_t len, char *out, size_t outsz, int zone)
{
	size_t o = 0, i = 0;
	if (outsz == 0 || (zone && (len == 0 || len > DNAME_MAX_WIRE)))
		return -1;
	while (i < len && wire[i] != 0) {
		size_t l = wire[i++];
		if (i + l > len || (zone && (l > 63 || i + l == len)))
			return -1;
		if (o > 0) {
			if (o + 1 >= outsz)
				return -1;
			out[o++] = '.';
		}
		for (size_t k = 0; k < l; k++) {
			char buf[4];
			size_t n = char_text(wire[i + k], zone, buf);
			if (o + n >= outsz)
				return -1;
			memcpy(out + o, buf, n);
			o += n;
		}
		i += l;
	}
	if (zone && i + 1 != len)
		return -1; /* no root label, or bytes after it */
	out[o] = '\0';
	return (int)o;
}

int dname_wire_to_text(const uint8_t *wire, size_t len, char *out, size_t outsz)
{
	return wire_text(wire, len, out, outsz, 0);
}

int dname_wire_to_zone_text(const uint8_t *wire, size_t len, char *out, size_t outsz)
{
	return wire_text(wire, len, out, outsz, 1);
}

size_t dname_wire_parse(const uint8_t *pkt, size_t pktlen, size_t off,
	uint8_t *out, size_t *outlen)
{
	size_t pos = off, end = 0, o = 0;
	size_t lowest = off; /* pointers must go strictly below every position visited */
	int labels = 0;
	for (;;) {
		if (pos >= pktlen)
			return 0;
		uint8_t l = pkt[pos];
		if ((l & 0xC0) == 0xC0) {
			if (pos + 1 >= pktlen)
				return 0;
			size_t target = ((size_t)(l & 0x3F) << 8) | pkt[pos + 1];
			if (end == 0)
				end = pos + 2;
			/* strictly backwards, and never into the 12-byte DNS header */
			if (target >= lowest || target < 12)
				return 0;
			lowest = target;
			pos = target;
			continue;
		}
		if (l & 0xC0)
			return 0; /* 0x40/0x80 label types are obsolete or unknown */
		if (l == 0) {
			if (o + 1 > DNAME_MAX_WIRE)
				return 0;
			out[o++] = 0;
			if (end == 0)
				end = pos + 1;
			*outlen = o;
			return end;
		}
		if (pos + 1 + l > pktlen || o + 1 + l + 1 > DNAME_MAX_WIRE || ++labels > DNAME_MAX_LABELS)
			return 0;
		out[o++] = l;
		for (size_t k = 0; k < l; k++)
			out[o++] = dname_lower(pkt[pos + 1 + k]);
		pos += 1 + (size_t)l;
	}
}

int dname_label_count(const uint8_t *wire, size_t len)
{
	int n = 0;
	size_t i = 0;
	while (i < len && wire[i] != 0) {
		i += 1 + (size_t)wire[i];
		n++;
	}
	return n;
}

int dname_strip_suffix(const uint8_t *name, size_t len, const uint8_t *suffix, size_t slen)
{
	if (slen > len)
		return -1;
	size_t i = 0;
	while (i < len) {
		if (len - i == slen)
			return memcmp(name + i, suffix, slen) == 0 ? (int)i : -1;
		if (name[i] == 0)
			return -1;
		i += 1 + (size_t)name[i];
	}
	return -1;
}
