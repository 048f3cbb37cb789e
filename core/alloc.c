/* core/alloc.c: being written; see alloc.h for what it owns. */
