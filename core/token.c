/* core/token.c: being written; see token.h for what it owns. */
