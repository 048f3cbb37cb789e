/* core/store.c: being written; see store.h for what it owns. */
