/* migrations.h — the SQL files of migrations/sqlite/ and
 * migrations/postgres/, embedded at build time by tools/embed.sh
 * (generated migrations_data.c and pg_migrations_data.c), in order. The
 * two folders hold the same migrations, one for one, by number. */
#ifndef ND_MIGRATIONS_H
#define ND_MIGRATIONS_H

extern const char *const nd_migration_sql[];
extern const char *const nd_migration_name[];
extern const int nd_migration_count;

extern const char *const nd_pg_migration_sql[];
extern const char *const nd_pg_migration_name[];
extern const int nd_pg_migration_count;

#endif
