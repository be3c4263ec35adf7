/* config.h -- what noddctl takes from files: the daemon's configuration (-c: the HTTP
 * listener and the bearer token) and a token file. Reads only; knows no other key. */
#ifndef NODD_CTL_CONFIG_H
#define NODD_CTL_CONFIG_H

#include "lib/err.h"

/* From nodd's YAML configuration at path: *url "http://<server.http>" (NULL when the key is
 * absent), *token server.http-token, else the token of <server.database>.token (NULL when
 * neither is there). Both are the caller's to free. */
int ctl_config_read(const char *path, char **url, char **token, struct nodd_err *e);

/* The first line of a token file, blanks trimmed; a new string. */
int ctl_token_file(const char *path, char **token, struct nodd_err *e);

#endif
