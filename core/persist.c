/* core/persist.c: being written; see persist.h for what it owns. */
