/* schema.h -- the database schema version and its migrations (internal to policy/).
 * Only store.c calls it; nothing else may change the schema. */
#ifndef NODD_SCHEMA_H
#define NODD_SCHEMA_H

#include <sqlite3.h>

#include "lib/err.h"

/* The schema version this build writes: the number of migrations in schema.c (checked at
 * compile time there). Bump it together with appending a migration. */
#define SCHEMA_VERSION 12

/* Bring db (borrowed) to SCHEMA_VERSION, one transaction per migration, recorded in
 * PRAGMA user_version. Refuses a database written by a newer nodd ("database schema
 * version N is newer than this nodd (M)"). Returns 0, or -1 with e set (NODD_E_STORE; NODD_E_INVALID for a newer schema). */
int schema_migrate(sqlite3 *db, struct nodd_err *e);

#endif
