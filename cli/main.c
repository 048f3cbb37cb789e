/* weft: the command line. Everything lives in libweft_cli (docs/STYLE.md,
 * "Libraries and a thin main"), so tests run the same code; this file only
 * hands over argv. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return weft_cli_main(argc, argv);
}
