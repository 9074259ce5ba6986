/*
 * cli.h - the subcommands of the estel binary, one file each (cmd_*.c).
 * Each returns the process exit status: 0 success, 1 runtime failure,
 * 2 usage or configuration error (DESIGN.md section 7).
 */
#ifndef ESTEL_CLI_H
#define ESTEL_CLI_H

#include "common/err.h"

int cmd_run(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_spool(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_version(int argc, char **argv);

/* The one mapping from a result code to an exit status. */
int cli_exit_code(enum estel_rc rc);

#endif
