/* accounts_cli.h — `neurond user …` and `neurond token …`: an
 * administrator's commands on the database's accounts, run without a
 * server (or beside a running one: the store is SQLite in WAL mode). */
#ifndef ND_ACCOUNTS_CLI_H
#define ND_ACCOUNTS_CLI_H

#include <stdio.h>

/* Where the accounts command starts in argv: the index of the first
 * argument that is not an option or an option's value when it is "user"
 * or "token", else 0 (no such command). Options all take a value
 * ("--db FILE" or "--db=FILE"), except --help and --version. */
int nd_accounts_command_at(int argc, char **argv);

/* Runs the command argv[0..argc) ("user add NAME [--admin]", "user
 * list", "token create NAME [--expires DURATION|RFC3339]", "token revoke
 * ID") on the database db. A new token's text is the only thing written
 * to out (once: only its hash is kept); everything else goes to err.
 * Returns the process's exit status: 0, 1 when it failed, 2 for a usage
 * error. */
int nd_accounts_run(const char *db, int argc, char **argv, FILE *out,
                    FILE *err);

/* The usage lines of the commands, for --help. */
void nd_accounts_usage(FILE *out);

#endif
