/* schema.h -- the database schema version and its migrations. */
#ifndef NODD_SCHEMA_H
#define NODD_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

/* Bring db to the newest schema this build knows, one transaction per migration.
 * Refuses a database written by a newer nodd. 0, or -1 with err. */
int schema_migrate(sqlite3 *db, char *err, size_t errlen);

/* The version this build writes. */
int schema_version(void);

#endif
