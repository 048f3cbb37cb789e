/* core/record.c: being written; see record.h for what it owns. */
