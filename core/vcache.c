/* core/vcache.c: being written; see vcache.h for what it owns. */
