/* weft: the command line. Everything lives in libweft_cli (STYLE item 12),
 * so tests run the same code; this file only hands over argv. */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return weft_cli_main(argc, argv);
}
