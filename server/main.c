/* postd's entry point; everything else lives in the postd_server library so the
 * tests can link it. */
#include "cli.h"

extern char **environ;

int main(int argc, char **argv)
{
    return cli_main(argc, argv, environ);
}
