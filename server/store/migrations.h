/* migrations.h — the SQL files of migrations/, embedded at build time by
 * tools/embed.sh (generated migrations_data.c), in order. */
#ifndef ND_MIGRATIONS_H
#define ND_MIGRATIONS_H

extern const char *const nd_migration_sql[];
extern const char *const nd_migration_name[];
extern const int nd_migration_count;

#endif
