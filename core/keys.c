/* core/keys.c: being written; see keys.h for what it owns. */
