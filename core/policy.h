/* The tag-based policy (docs/POLICY.md): its text form, parsed into the
 * POLICY record's body, and the one decision the daemon asks of it —
 * whether two members may be WireGuard peers. Pure: no I/O, no clock.
 *
 * Semantics: a rule "ACTION FROM -> TO" matches a pair of members when one
 * carries tag FROM and the other tag TO ("*" matches any member, tagged or
 * not), in either order, because a WireGuard peering carries traffic both
 * ways. The first rule that matches decides; when none does, the default.
 * So the decision is symmetric by construction, and a denied pair is left
 * out of WireGuard on both sides. */
#ifndef WEFT_POLICY_H
#define WEFT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/record.h"

#define WEFT_POLICY_TEXT_MAX 65536 /* bytes of a policy file */
#define WEFT_POLICY_ERR_MAX 160    /* room for a "line N: ..." message */

/* Parse len bytes of policy text into p (version left 0 for the caller).
 * 0, or WEFT_EMALFORMED with "line N: what is wrong" in err (err may be
 * NULL). No default line means "default allow". */
int weft_policy_parse(const char *text, size_t len, struct weft_rec_policy *p, char *err, size_t errlen);

/* The policy as text that weft_policy_parse reads back to the same body
 * (one "default" line, then the rules in order). Returns the length it
 * needs (excluding the NUL), like snprintf. */
size_t weft_policy_format(const struct weft_rec_policy *p, char *out, size_t cap);

/* May members with tags ta[0..na) and tb[0..nb) be peers? p NULL (no
 * policy record) allows every pair. Symmetric in (a, b). */
bool weft_policy_allows(const struct weft_rec_policy *p, const char (*ta)[WEFT_TAG_MAX + 1], size_t na,
			const char (*tb)[WEFT_TAG_MAX + 1], size_t nb);

/* The index of the rule that decides for the pair, or -1 for the default
 * (for 'weft policy show' and tests). */
int weft_policy_match(const struct weft_rec_policy *p, const char (*ta)[WEFT_TAG_MAX + 1], size_t na,
		      const char (*tb)[WEFT_TAG_MAX + 1], size_t nb);

#endif
