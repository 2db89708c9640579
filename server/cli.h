/* The command line: postd ingest | check | serve | config | help, with their
 * flags, the configuration layers and the exit statuses:
 * 0 all fine, 1 some post files were rejected, 2 usage, configuration, I/O or
 * database errors. */
#ifndef POSTD_CLI_H
#define POSTD_CLI_H

enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_REJECTED = 1,
    CLI_EXIT_ERROR = 2,
};

/* Runs postd as main() would. envp: the environment to read POSTD_* from
 * (a NULL-terminated "NAME=value" array, e.g. environ). Returns the exit status. */
int cli_main(int argc, char **argv, char **envp);

#endif
