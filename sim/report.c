/* sim/report.c: a run's results for people (a table) and for scripts (the
 * JSON object CLI.md names, plus the dissemination curve and the details).
 * Figures are printed with fixed decimals so that one seed prints the same
 * bytes every time (but for wall_s and peak_rss_kb). */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "sim/sim.h"

static struct json_object *num(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

/* A figure that may not exist (a distribution with no samples). */
static struct json_object *ms_or_null(double v)
{
	return v < 0 ? NULL : num(v, 3);
}

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static double fraction(const struct weft_sim_dist *d)
{
	return d->expected ? (double)d->count / (double)d->expected : 1.0;
}

char *weft_sim_report_json(const struct weft_sim_result *r, bool pretty)
{
	struct json_object *o = json_object_new_object(), *a, *g;
	const char *txt;
	char *out = NULL;
	size_t i;

	if (!o)
		return NULL;
	add(o, "nodes", json_object_new_int64(r->nodes));
	add(o, "nodes_total", json_object_new_int64(r->nodes_total));
	add(o, "seed", json_object_new_uint64(r->seed));
	add(o, "scenario", json_object_new_string(r->scenario));
	add(o, "virtual_s", num(r->virtual_s, 3));
	add(o, "wall_s", num(r->wall_s, 3));
	add(o, "peak_rss_kb", json_object_new_int64(r->peak_rss_kb));
	add(o, "loss", num(r->loss_ppm / 1e6, 6));
	add(o, "latency_ms", num(r->latency_ms, 3));
	add(o, "jitter_ms", num(r->jitter_ms, 3));
	add(o, "wg", json_object_new_string(weft_sim_wg_name(r->wg)));

	add(o, "dissemination_p50_ms", ms_or_null(r->dis.p50_ms));
	add(o, "dissemination_p99_ms", ms_or_null(r->dis.p99_ms));
	add(o, "dissemination_max_ms", ms_or_null(r->dis.max_ms));
	add(o, "informed_fraction", num(r->informed_fraction, 6));
	add(o, "dissemination_pairs", json_object_new_uint64(r->dis.count));
	add(o, "dissemination_expected", json_object_new_uint64(r->dis.expected));
	add(o, "curve_step_ms", num(r->curve_step_ms, 3));
	a = json_object_new_array();
	for (i = 0; i < r->ncurve; i++)
		json_object_array_add(a, num(r->curve[i], 6));
	add(o, "curve", a);
	a = json_object_new_array();
	for (i = 0; i < r->ngroups; i++) {
		const struct weft_sim_group_result *gr = &r->groups[i];

		g = json_object_new_object();
		add(g, "name", json_object_new_string(gr->name));
		add(g, "records", json_object_new_int64(gr->records));
		add(g, "p50_ms", ms_or_null(gr->d.p50_ms));
		add(g, "p99_ms", ms_or_null(gr->d.p99_ms));
		add(g, "max_ms", ms_or_null(gr->d.max_ms));
		add(g, "informed_fraction", num(fraction(&gr->d), 6));
		json_object_array_add(a, g);
	}
	add(o, "groups", a);

	add(o, "crashes", json_object_new_int64(r->crashes));
	add(o, "detection_p50_ms", ms_or_null(r->det.p50_ms));
	add(o, "detection_p99_ms", ms_or_null(r->det.p99_ms));
	add(o, "detection_max_ms", ms_or_null(r->det.max_ms));
	add(o, "detected_fraction", num(fraction(&r->det), 6));
	add(o, "false_suspicions", json_object_new_uint64(r->false_suspicions));
	add(o, "false_deaths", json_object_new_uint64(r->false_deaths));
	add(o, "partition_deaths", json_object_new_uint64(r->partition_deaths));

	if (r->malicious) {
		char names[80];

		g = json_object_new_object();
		add(g, "members", json_object_new_int64(r->malicious));
		add(g, "attacks", json_object_new_string(weft_sim_attacks_name(r->attacks, names, sizeof(names))));
		add(g, "packets", json_object_new_uint64(r->attack_pkts));
		add(g, "bytes", json_object_new_uint64(r->attack_bytes));
		add(g, "honest_false_suspicions", json_object_new_uint64(r->honest_false_suspicions));
		add(g, "honest_false_deaths", json_object_new_uint64(r->honest_false_deaths));
		add(g, "revived_dead", json_object_new_uint64(r->revived_dead));
		add(g, "forged_endpoints", json_object_new_uint64(r->forged_endpoints));
		add(g, "misbehaving_reports", json_object_new_uint64(r->misbehaving_reports));
		add(g, "misbehaving_honest", json_object_new_uint64(r->misbehaving_honest));
		if (r->views_checked)
			add(g, "names_taken", json_object_new_int64(r->names_taken));
		add(o, "adversary", g);
	}

	add(o, "joins", json_object_new_int64(r->joins));
	add(o, "joined", json_object_new_int64(r->joined));
	add(o, "join_p50_ms", ms_or_null(r->join.p50_ms));
	add(o, "join_max_ms", ms_or_null(r->join.max_ms));

	add(o, "window_s", num(r->window_s, 3));
	add(o, "bytes_per_node_per_s", num(r->bytes_per_node_per_s, 1));
	add(o, "bytes_per_node_per_s_max", num(r->bytes_per_node_per_s_max, 1));
	add(o, "packets_per_node_per_s", num(r->packets_per_node_per_s, 3));
	add(o, "packets_per_node_per_s_max", num(r->packets_per_node_per_s_max, 3));
	add(o, "wire_bytes_per_node_per_s", num(r->wire_bytes_per_node_per_s, 1));
	add(o, "wire_bytes_per_node_per_s_max", num(r->wire_bytes_per_node_per_s_max, 1));
	add(o, "handshakes", json_object_new_uint64(r->handshakes));
	add(o, "handshakes_failed", json_object_new_uint64(r->handshakes_failed));
	add(o, "packets_sent", json_object_new_uint64(r->pkts_sent));
	add(o, "packets_lost", json_object_new_uint64(r->pkts_lost));
	add(o, "packets_dropped", json_object_new_uint64(r->pkts_dropped));
	add(o, "overlay_packets", json_object_new_uint64(r->overlay_pkts));
	add(o, "underlay_packets", json_object_new_uint64(r->underlay_pkts));

	add(o, "up", json_object_new_int64(r->up));
	add(o, "up_members", json_object_new_int64(r->up_members));
	add(o, "converged", json_object_new_boolean(r->converged));
	add(o, "min_alive_view", json_object_new_int64(r->min_alive_view));
	add(o, "revoked_seen", json_object_new_int64(r->revoked_seen));
	add(o, "event_overflows", json_object_new_uint64(r->event_overflows));
	if (r->views_checked) {
		add(o, "views_agree", json_object_new_boolean(r->views_agree));
		add(o, "members_active", json_object_new_int64(r->members_active));
		add(o, "members_overused", json_object_new_int64(r->members_overused));
		add(o, "overused_node",
		    r->overused_node == UINT32_MAX ? NULL : json_object_new_int64(r->overused_node));
		add(o, "addr_outside", json_object_new_int64(r->addr_outside));
		add(o, "addr_dupes", json_object_new_int64(r->addr_dupes));
		add(o, "stale_keys", json_object_new_int64(r->stale_keys));
	}
	add(o, "records_merged", json_object_new_uint64(r->records_merged));
	add(o, "syncs", json_object_new_uint64(r->syncs));
	add(o, "sync_records", json_object_new_uint64(r->sync_records));
	add(o, "events", json_object_new_uint64(r->events));
	add(o, "trace", json_object_new_string(r->trace));

	txt = json_object_to_json_string_ext(o, pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
						       : JSON_C_TO_STRING_PLAIN);
	if (txt)
		out = strdup(txt);
	json_object_put(o);
	return out;
}

static void dist_line(FILE *f, const char *what, const struct weft_sim_dist *d)
{
	if (d->count == 0) {
		fprintf(f, "  %-22s none of %llu\n", what, (unsigned long long)d->expected);
		return;
	}
	fprintf(f, "  %-22s p50 %8.1f ms   p99 %8.1f ms   max %8.1f ms   %6.2f %% of %llu\n", what, d->p50_ms,
		d->p99_ms, d->max_ms, 100.0 * fraction(d), (unsigned long long)d->expected);
}

void weft_sim_report_text(const struct weft_sim_result *r, FILE *f)
{
	size_t i;

	fprintf(f, "weft-sim: scenario %s, %u nodes (%u with joiners), seed %llu\n", r->scenario, r->nodes,
		r->nodes_total, (unsigned long long)r->seed);
	fprintf(f, "  links: loss %.2f %%, latency %.1f ms +- %.1f ms, WireGuard %s\n", r->loss_ppm / 1e4,
		r->latency_ms, r->jitter_ms, weft_sim_wg_name(r->wg));
	fprintf(f, "  %.1f virtual s in %.1f s wall, peak RSS %ld MB, %llu events\n\n", r->virtual_s, r->wall_s,
		r->peak_rss_kb / 1024, (unsigned long long)r->events);

	fprintf(f, "dissemination (record published -> in a live node's store)\n");
	dist_line(f, "all published", &r->dis);
	for (i = 0; i < r->ngroups; i++)
		dist_line(f, r->groups[i].name, &r->groups[i].d);
	fprintf(f, "\nfailure detection (%u crashes)\n", r->crashes);
	dist_line(f, "crash -> marked dead", &r->det);
	fprintf(f, "  false suspicions %llu, false deaths %llu, deaths across a partition %llu\n",
		(unsigned long long)r->false_suspicions, (unsigned long long)r->false_deaths,
		(unsigned long long)r->partition_deaths);
	if (r->malicious) {
		char names[80];

		fprintf(f, "\nadversary: %u malicious members (%s), %llu datagrams, %llu B on top of the protocol\n",
			r->malicious, weft_sim_attacks_name(r->attacks, names, sizeof(names)),
			(unsigned long long)r->attack_pkts, (unsigned long long)r->attack_bytes);
		fprintf(f,
			"  honest members: %llu false suspicions, %llu false deaths of each other; %llu crashed "
			"ones revived while down; %llu endpoints learnt from forged senders\n",
			(unsigned long long)r->honest_false_suspicions, (unsigned long long)r->honest_false_deaths,
			(unsigned long long)r->revived_dead, (unsigned long long)r->forged_endpoints);
		fprintf(f, "  misbehaving reports: %llu naming malicious members, %llu naming honest ones",
			(unsigned long long)r->misbehaving_reports, (unsigned long long)r->misbehaving_honest);
		if (r->views_checked)
			fprintf(f, "; %u honest members' names held by malicious ones (they joined first)",
				r->names_taken);
		fprintf(f, "\n");
	}
	if (r->joins) {
		fprintf(f, "\njoins: %u of %u joined\n", r->joined, r->joins);
		dist_line(f, "join -> welcomed", &r->join);
	}
	fprintf(f, "\ncost per node (window of %.1f s)\n", r->window_s);
	fprintf(f, "  gossip   %8.1f B/s (max %8.1f)   %6.2f packets/s (max %6.2f)\n", r->bytes_per_node_per_s,
		r->bytes_per_node_per_s_max, r->packets_per_node_per_s, r->packets_per_node_per_s_max);
	fprintf(f, "  on wire  %8.1f B/s (max %8.1f)   with IP/UDP and WireGuard\n", r->wire_bytes_per_node_per_s,
		r->wire_bytes_per_node_per_s_max);
	fprintf(f,
		"  handshakes %llu (%llu failed); datagrams %llu sent, %llu lost, %llu dropped; %llu overlay, %llu underlay\n",
		(unsigned long long)r->handshakes, (unsigned long long)r->handshakes_failed,
		(unsigned long long)r->pkts_sent, (unsigned long long)r->pkts_lost,
		(unsigned long long)r->pkts_dropped, (unsigned long long)r->overlay_pkts,
		(unsigned long long)r->underlay_pkts);
	fprintf(f, "\nat the end: %u up (%u members), stores %s, fewest seen alive %u, revoked still listed %u\n",
		r->up, r->up_members, r->converged ? "converged" : "NOT converged", r->min_alive_view,
		r->revoked_seen);
	if (r->views_checked)
		fprintf(f,
			"  views: %s; %u active, %u over-used (first: node %d); %u without an address in the CIDR, %u sharing one; %u stale keys\n",
			r->views_agree ? "all agree" : "DIFFER", r->members_active, r->members_overused,
			r->overused_node == UINT32_MAX ? -1 : (int)r->overused_node, r->addr_outside, r->addr_dupes,
			r->stale_keys);
	fprintf(f, "  records merged from the network %llu, %llu of them by %llu push-pull exchanges\n",
		(unsigned long long)r->records_merged, (unsigned long long)r->sync_records,
		(unsigned long long)r->syncs);
	if (r->event_overflows)
		fprintf(f, "  event queue overflows: %llu\n", (unsigned long long)r->event_overflows);
	fprintf(f, "  trace %s\n", r->trace);
}
