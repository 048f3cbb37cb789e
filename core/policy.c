/* The policy file's parser and printer, and the pair decision the daemon
 * uses to leave a denied pair out of WireGuard (semantics in policy.h and
 * docs/POLICY.md). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/policy.h"

#define MAX_WORDS 6 /* a rule has 4; the rest of a longer line is not kept */
#define WORD_MAX 48 /* longer than any tag, so a long one is reported as too long */

struct words {
	unsigned n;
	char w[MAX_WORDS][WORD_MAX + 1];
};

__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int off;

	if (!err || !errlen)
		return WEFT_EMALFORMED;
	off = line ? snprintf(err, errlen, "line %u: ", line) : 0;
	if (off < 0 || (size_t)off >= errlen)
		return WEFT_EMALFORMED;
	va_start(ap, fmt);
	vsnprintf(err + off, errlen - (size_t)off, fmt, ap);
	va_end(ap);
	return WEFT_EMALFORMED;
}

static bool tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A tag as record.c accepts it, or "*". */
static bool tag_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (!strcmp(s, "*"))
		return true;
	if (n == 0 || n > WEFT_TAG_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!tag_char(s[i]))
			return false;
	return true;
}

static void push_word(struct words *w, const char *s, size_t n)
{
	if (w->n == MAX_WORDS) {
		w->n++; /* counted as too many; the rest is not kept */
		return;
	}
	if (w->n > MAX_WORDS)
		return;
	if (n > WORD_MAX)
		n = WORD_MAX; /* still longer than a tag: refused as such */
	memcpy(w->w[w->n], s, n);
	w->w[w->n][n] = '\0';
	w->n++;
}

/* Split one line (comment already cut) on blanks; "->" is a word of its
 * own even without blanks around it ("web->db"). */
static void split(const char *s, size_t len, struct words *w)
{
	size_t i = 0, start;

	memset(w, 0, sizeof(*w));
	while (i < len) {
		if (s[i] == ' ' || s[i] == '\t') {
			i++;
			continue;
		}
		if (s[i] == '-' && i + 1 < len && s[i + 1] == '>') {
			push_word(w, "->", 2);
			i += 2;
			continue;
		}
		start = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && !(s[i] == '-' && i + 1 < len && s[i + 1] == '>'))
			i++;
		push_word(w, s + start, i - start);
	}
}

static int action_of(const char *s)
{
	if (!strcmp(s, "allow"))
		return WEFT_POLICY_ALLOW;
	if (!strcmp(s, "deny"))
		return WEFT_POLICY_DENY;
	return 0;
}

static int parse_line(const struct words *w, unsigned line, struct weft_rec_policy *p, unsigned *default_line,
		      char *err, size_t errlen)
{
	struct weft_policy_rule *r;
	int act;
	unsigned i;

	if (!strcmp(w->w[0], "default")) {
		if (w->n != 2 || !(act = action_of(w->w[1])))
			return fail(err, errlen, line, "bad default: write 'default allow' or 'default deny'");
		if (*default_line)
			return fail(err, errlen, line, "default is given twice (first on line %u)", *default_line);
		*default_line = line;
		p->default_action = (uint8_t)act;
		return 0;
	}
	act = action_of(w->w[0]);
	if (!act)
		return fail(err, errlen, line,
			    "unknown action '%.*s': a line is 'default allow|deny' or "
			    "'allow|deny FROM -> TO'",
			    WEFT_TAG_MAX, w->w[0]);
	if (w->n != 4 || strcmp(w->w[2], "->") != 0)
		return fail(err, errlen, line, "expected '%s FROM -> TO', e.g. '%s web -> db' (* for any member)",
			    w->w[0], w->w[0]);
	for (i = 1; i < 4; i += 2) {
		if (!tag_ok(w->w[i]))
			return fail(err, errlen, line,
				    "bad tag '%.*s': use 1-%d lower-case letters, digits, '-' or "
				    "'_', or * for any member",
				    WEFT_TAG_MAX + 1, w->w[i], WEFT_TAG_MAX);
	}
	if (p->nrules == WEFT_MAX_RULES)
		return fail(err, errlen, line, "too many rules: a policy holds at most %d", WEFT_MAX_RULES);
	r = &p->rules[p->nrules++];
	r->action = (uint8_t)act;
	/* tag_ok bounded both to WEFT_TAG_MAX. */
	memcpy(r->from, w->w[1], strlen(w->w[1]) + 1);
	memcpy(r->to, w->w[3], strlen(w->w[3]) + 1);
	return 0;
}

int weft_policy_parse(const char *text, size_t len, struct weft_rec_policy *p, char *err, size_t errlen)
{
	unsigned line = 0, default_line = 0;
	size_t pos = 0, end, cut, i;
	struct words w;
	int ret;

	memset(p, 0, sizeof(*p));
	p->default_action = WEFT_POLICY_ALLOW;
	if (err && errlen)
		err[0] = '\0';
	if (len > WEFT_POLICY_TEXT_MAX)
		return fail(err, errlen, 0, "the policy is longer than %u bytes", WEFT_POLICY_TEXT_MAX);
	while (pos < len) {
		line++;
		for (end = pos; end < len && text[end] != '\n'; end++)
			;
		cut = end;
		for (i = pos; i < end; i++) {
			unsigned char c = (unsigned char)text[i];

			if (c == '#') {
				cut = i;
				break;
			}
			if (c == '\r' && i + 1 == end)
				continue;
			if ((c < 0x20 && c != '\t') || c >= 0x7f)
				return fail(err, errlen, line, "unexpected byte 0x%02x (a policy is plain ASCII)",
					    c);
		}
		if (cut == end && cut > pos && text[cut - 1] == '\r')
			cut--;
		split(text + pos, cut - pos, &w);
		pos = end < len ? end + 1 : end;
		if (w.n == 0)
			continue;
		ret = parse_line(&w, line, p, &default_line, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

size_t weft_policy_format(const struct weft_rec_policy *p, char *out, size_t cap)
{
	size_t off = 0;
	unsigned i;
	int n;

#define ADD(...)                                                                                          \
	do {                                                                                              \
		n = out ? snprintf(out + (off < cap ? off : cap), off < cap ? cap - off : 0, __VA_ARGS__) \
			: snprintf(NULL, 0, __VA_ARGS__);                                                 \
		off += n > 0 ? (size_t)n : 0;                                                             \
	} while (0)
	if (out && cap)
		out[0] = '\0';
	ADD("default %s\n", p && p->default_action == WEFT_POLICY_DENY ? "deny" : "allow");
	for (i = 0; p && i < p->nrules && i < WEFT_MAX_RULES; i++)
		ADD("%s %s -> %s\n", p->rules[i].action == WEFT_POLICY_DENY ? "deny" : "allow", p->rules[i].from,
		    p->rules[i].to);
#undef ADD
	return off;
}

static bool has_tag(const char (*t)[WEFT_TAG_MAX + 1], size_t n, const char *tag)
{
	size_t i;

	if (!strcmp(tag, "*"))
		return true;
	for (i = 0; i < n; i++)
		if (!strncmp(t[i], tag, WEFT_TAG_MAX + 1))
			return true;
	return false;
}

int weft_policy_match(const struct weft_rec_policy *p, const char (*ta)[WEFT_TAG_MAX + 1], size_t na,
		      const char (*tb)[WEFT_TAG_MAX + 1], size_t nb)
{
	unsigned i;

	for (i = 0; p && i < p->nrules && i < WEFT_MAX_RULES; i++) {
		const struct weft_policy_rule *r = &p->rules[i];

		if ((has_tag(ta, na, r->from) && has_tag(tb, nb, r->to)) ||
		    (has_tag(tb, nb, r->from) && has_tag(ta, na, r->to)))
			return (int)i;
	}
	return -1;
}

bool weft_policy_allows(const struct weft_rec_policy *p, const char (*ta)[WEFT_TAG_MAX + 1], size_t na,
			const char (*tb)[WEFT_TAG_MAX + 1], size_t nb)
{
	int i;

	if (!p)
		return true;
	i = weft_policy_match(p, ta, na, tb, nb);
	if (i >= 0)
		return p->rules[i].action != WEFT_POLICY_DENY;
	return p->default_action != WEFT_POLICY_DENY;
}
