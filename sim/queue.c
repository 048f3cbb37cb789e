/* sim/queue.c: the event queue, a binary heap ordered by (time, sequence):
 * events at the same virtual time run in the order they were scheduled,
 * which keeps a run deterministic. */
#include <errno.h>
#include <stdlib.h>

#include "sim/internal.h"

static bool before(const struct sim_ev *a, const struct sim_ev *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int sim_queue_push(struct sim_queue *q, uint64_t t, uint8_t kind, uint32_t node, uint32_t gen, struct sim_pkt *pkt)
{
	struct sim_ev *h, e = { t, q->seq++, kind, node, gen, pkt };
	size_t i, p, cap;

	if (q->n == q->cap) {
		cap = q->cap ? q->cap * 2 : 1024;
		h = realloc(q->h, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		q->h = h;
		q->cap = cap;
	}
	i = q->n++;
	while (i > 0) {
		p = (i - 1) / 2;
		if (!before(&e, &q->h[p]))
			break;
		q->h[i] = q->h[p];
		i = p;
	}
	q->h[i] = e;
	return 0;
}

bool sim_queue_pop(struct sim_queue *q, struct sim_ev *out)
{
	struct sim_ev last;
	size_t i = 0, c;

	if (q->n == 0)
		return false;
	*out = q->h[0];
	last = q->h[--q->n];
	for (;;) {
		c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && before(&q->h[c + 1], &q->h[c]))
			c++;
		if (!before(&q->h[c], &last))
			break;
		q->h[i] = q->h[c];
		i = c;
	}
	if (q->n)
		q->h[i] = last;
	return true;
}

void sim_queue_free(struct sim_queue *q)
{
	free(q->h);
	q->h = NULL;
	q->n = q->cap = 0;
}
