/* core/addr.c: being written; see addr.h for what it owns. */
