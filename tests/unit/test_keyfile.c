/* test_keyfile.c -- BIND key-file parsing: good files, and errors that name FILE:LINE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/tap.h"
#include "lib/keyfile.h"

#define okv(cond, ...) do { int okv_ = !!(cond); ok(okv_, __VA_ARGS__); } while (0)

static const char good[] =
	"// keys for the upstreams, as tsig-keygen writes them\n"
	"key \"tsig-zonedata-ch-public-21-01\" {\n"
	"\talgorithm hmac-sha512;\n"
	"\tsecret \"c2VjcmV0LWZvci1ub2RkLXRzaWctdW5pdC10ZXN0cy1obWFjLXNoYTUxMi1rZXktbWF0ZXJpYWwhIQ==\";\n"
	"};\n"
	"# a second clause, bare name, odd spacing\n"
	"key Nod-Xfr.Example.{algorithm HMAC-SHA256;secret \"a2V5LXNlY3JldC1mb3Itbm9k\n"
	"  ZC11bml0LXRlc3RzLTI1Ng==\";};\n"
	"/* a block comment\n"
	"   over lines with key \"fake\" { }; inside */\n"
	"server 192.0.2.1 { keys { nod-xfr.example; }; };\n"
	"key \"k3\" { secret \"Zm9vYmFy\"; algorithm hmac-sha1; }; // trailing comment\n";

static int parse(const char *text, struct tsig_keyring *kr, struct nodd_err *err)
{
	return keyfile_parse(text, strlen(text), "keys.conf", kr, err);
}

/* Expect a parse failure whose message starts with prefix and contains needle. */
static void bad(const char *text, const char *prefix, const char *needle, const char *what)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	struct nodd_err err = { NODD_OK, "" };
	int rc = parse(text, kr, &err);
	ok(rc == -1, "%s: refused", what);
	is_int(err.kind, NODD_E_INVALID, "%s: an invalid text", what);
	okv(strncmp(err.msg, prefix, strlen(prefix)) == 0 && strstr(err.msg, needle) != NULL,
		"%s: \"%s\"", what, err.msg);
	is_int(tsig_keyring_count(kr), 0, "%s: nothing added", what);
	tsig_keyring_free(kr);
}

int main(void)
{
	struct tsig_keyring *kr = tsig_keyring_new();
	struct nodd_err err = { NODD_OK, "" };
	int n = parse(good, kr, &err);
	is_int(n, 3, "three keys read (%s)", err.msg);
	const struct tsig_key *k = tsig_keyring_find_text(kr, "tsig-zonedata-ch-public-21-01");
	okv(k && k->alg == TSIG_ALG_SHA512 && k->secret_len == 58, "quoted name, sha512, secret");
	k = tsig_keyring_find_text(kr, "nod-xfr.example.");
	okv(k && k->alg == TSIG_ALG_SHA256 && k->secret_len == 34 &&
		memcmp(k->secret, "key-secret-for-nodd-unit-tests-256", 34) == 0,
		"bare mixed-case name, secret split over lines");
	is_str(k ? k->name_text : NULL, "nod-xfr.example", "name lowercased");
	k = tsig_keyring_find_text(kr, "k3");
	okv(k && k->alg == TSIG_ALG_SHA1 && k->secret_len == 6, "options in any order");
	ok(tsig_keyring_find_text(kr, "fake") == NULL, "nothing read from comments");

	/* Loading again: every name is taken now. */
	n = parse("key k3 { algorithm hmac-sha256; secret \"Zm9v\"; };\n", kr, &err);
	okv(n == -1 && strstr(err.msg, "keys.conf:1:") && strstr(err.msg, "already defined"),
		"key already in the keyring: %s", err.msg);
	is_int(tsig_keyring_count(kr), 3, "still three keys");
	tsig_keyring_free(kr);

	bad("key a { algorithm hmac-sha256; secret \"Zm9v\"; };\n\nkey b {\n algorithm hmac-sha256\n"
		" secret \"Zm9v\";\n};\n", "keys.conf:5:", "expected ';'", "missing semicolon");
	bad("key a {\n algorithm hmac-sha256;\n secret \"Zm9v!\";\n};\n", "keys.conf:3:",
		"base64", "bad base64");
	bad("key a {\n algorithm hmac-md5;\n secret \"Zm9v\";\n};\n", "keys.conf:2:",
		"unsupported algorithm", "unknown algorithm");
	bad("\nkey a {\n secret \"Zm9v\";\n};\n", "keys.conf:2:", "missing algorithm", "no algorithm");
	bad("key a { algorithm hmac-sha256; };\n", "keys.conf:1:", "missing secret", "no secret");
	bad("key a { algorithm hmac-sha256; secret \"Zm9v\"; };\n# x\nkey \"A.\" {\n algorithm "
		"hmac-sha512; secret \"Zm9v\"; };\n", "keys.conf:3:", "defined twice (first at line 1)",
		"duplicate key");
	bad("key a { algorithm hmac-sha256; secret \"Zm9v\"; };\n/* open\ncomment\n",
		"keys.conf:2:", "unterminated", "unterminated comment");
	bad("key a {\n algorithm hmac-sha256;\n secret \"Zm9v;\n};\n", "keys.conf:3:",
		"unterminated string", "unterminated string");
	bad("kye a { algorithm hmac-sha256; secret \"Zm9v\"; };\n", "keys.conf:1:",
		"unknown statement 'kye'", "typo in statement");
	bad("key a {\n algorithm hmac-sha256;\n secrte \"Zm9v\";\n};\n", "keys.conf:3:",
		"unknown option 'secrte'", "typo in option");
	bad("key a { algorithm hmac-sha256; secret \"Zm9v\"; }\n", "keys.conf:2:",
		"end of file", "missing final semicolon");
	bad("key a { algorithm hmac-sha256; algorithm hmac-sha512; secret \"Zm9v\"; };\n",
		"keys.conf:1:", "given twice", "algorithm twice");
	bad("key \"a..b\" {\n algorithm hmac-sha256;\n secret \"Zm9v\";\n};\n", "keys.conf:1:",
		"empty label", "bad key name");
	bad("server 192.0.2.1 { keys { a; };\n", "keys.conf:1:", "not terminated", "open server");

	/* keyfile_load: a real file, and a missing one. */
	char path[] = "/tmp/nodd-keyfile-XXXXXX";
	int fd = mkstemp(path);
	ok(fd >= 0, "temp file");
	FILE *f = fdopen(fd, "w");
	fputs(good, f);
	fclose(f);
	kr = tsig_keyring_new();
	is_int(keyfile_load(path, kr, &err), 3, "load from file");
	tsig_keyring_free(kr);
	f = fopen(path, "w");
	fputs("key a {\n algorithm sha256;\n secret \"Zm9v\";\n};\n", f);
	fclose(f);
	kr = tsig_keyring_new();
	char want[300];
	snprintf(want, sizeof want, "%s:2: ", path);
	okv(keyfile_load(path, kr, &err) == -1 && strncmp(err.msg, want, strlen(want)) == 0,
		"file errors name the path and line: %s", err.msg);
	is_int(err.kind, NODD_E_INVALID, "a file's text error is invalid input");
	unlink(path);
	okv(keyfile_load(path, kr, &err) == -1 && strstr(err.msg, "No such file"),
		"missing file: %s", err.msg);
	is_int(err.kind, NODD_E_NOTFOUND, "a missing file is not found");
	tsig_keyring_free(kr);
	return tap_done();
}
