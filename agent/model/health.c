// SPDX-License-Identifier: GPL-2.0-only
/* See health.h. Pure: no I/O, clocks come in as arguments. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/health.h"

#define NS_PER_MS 1000000ULL

static const char *const check_type_names[SHOAL_CHECK_MAX] = {
	[SHOAL_CHECK_TCP] = "tcp", [SHOAL_CHECK_HTTP] = "http", [SHOAL_CHECK_HTTPS] = "https",
	[SHOAL_CHECK_UDP] = "udp", [SHOAL_CHECK_DNS] = "dns",	[SHOAL_CHECK_NONE] = "none",
};

const char *shoal_check_type_name(__u8 type)
{
	return type < SHOAL_CHECK_MAX ? check_type_names[type] : "?";
}

int shoal_check_type_parse(const char *s, __u8 *ret)
{
	__u8 i;

	for (i = 0; i < SHOAL_CHECK_MAX; i++) {
		if (!strcmp(s, check_type_names[i])) {
			*ret = i;
			return 0;
		}
	}
	return -EINVAL;
}

void shoal_health_conf_init(struct shoal_health_conf *h)
{
	memset(h, 0, sizeof(*h));
	h->check.type = SHOAL_CHECK_TCP;
	h->check.via = SHOAL_VIA_TUNNEL;
	h->check.interval_ms = 2000;
	h->check.timeout_ms = 1000;
	h->check.rise = 2;
	h->check.fall = 3;
	h->check.jitter_pct = 10;
	snprintf(h->check.path, sizeof(h->check.path), "/");
	h->passive.on = true;
	h->passive.window_ms = 10000;
	h->passive.min_syns = 20;
	h->passive.ratio_pct = 30;
	h->panic_pct = 50;
	h->min_healthy = 1;
	h->agent.interval_ms = 5000;
	h->agent.timeout_ms = 1000;
}

/* ---- rise/fall ---- */

void shoal_hstate_init(struct shoal_hstate *h, enum shoal_health_state start, __u64 now_ns)
{
	memset(h, 0, sizeof(*h));
	h->state = start;
	h->since_ns = now_ns;
}

enum shoal_transition shoal_hstate_result(struct shoal_hstate *h, bool ok, __u32 rise, __u32 fall,
					  __u64 now_ns)
{
	if (ok) {
		h->fail_run = 0;
		if (h->state == SHOAL_HEALTH_UP)
			return SHOAL_TRANS_NONE;
		/* unknown was serving already: one success confirms it, no ramp */
		if (h->state == SHOAL_HEALTH_UNKNOWN || ++h->ok_run >= rise) {
			if (h->state == SHOAL_HEALTH_DOWN)
				h->up_since_ns = now_ns;
			h->state = SHOAL_HEALTH_UP;
			h->ok_run = 0;
			h->since_ns = now_ns;
			return SHOAL_TRANS_UP;
		}
		return SHOAL_TRANS_NONE;
	}
	h->ok_run = 0;
	if (h->state == SHOAL_HEALTH_DOWN)
		return SHOAL_TRANS_NONE;
	if (++h->fail_run >= fall) {
		h->state = SHOAL_HEALTH_DOWN;
		h->fail_run = 0;
		h->since_ns = now_ns;
		return SHOAL_TRANS_DOWN;
	}
	return SHOAL_TRANS_NONE;
}

const char *shoal_hstate_describe(const struct shoal_hstate *h, __u32 rise, __u32 fall, char *buf,
				  size_t len)
{
	if (h->state == SHOAL_HEALTH_DOWN && h->ok_run)
		snprintf(buf, len, "rising %u/%u", h->ok_run, rise);
	else if (h->state != SHOAL_HEALTH_DOWN && h->fail_run)
		snprintf(buf, len, "falling %u/%u", h->fail_run, fall);
	else
		snprintf(buf, len, "%s",
			 h->state == SHOAL_HEALTH_UP	 ? "up"
			 : h->state == SHOAL_HEALTH_DOWN ? "down"
							 : "unknown");
	return buf;
}

const char *shoal_health_label_name(__u8 label)
{
	static const char *const names[SHOAL_HL_MAX] = {
		[SHOAL_HL_UNCHECKED] = "unchecked",
		[SHOAL_HL_UNKNOWN] = "unknown",
		[SHOAL_HL_UP] = "up",
		[SHOAL_HL_DOWN] = "down",
		[SHOAL_HL_RISING] = "rising",
		[SHOAL_HL_FALLING] = "falling",
		[SHOAL_HL_PANIC] = "panic",
		[SHOAL_HL_DRAIN] = "drain",
	};

	return label < SHOAL_HL_MAX ? names[label] : "?";
}

__u8 shoal_hstate_label(const struct shoal_hstate *h)
{
	if (h->state == SHOAL_HEALTH_DOWN)
		return h->ok_run ? SHOAL_HL_RISING : SHOAL_HL_DOWN;
	if (h->fail_run)
		return SHOAL_HL_FALLING;
	return h->state == SHOAL_HEALTH_UP ? SHOAL_HL_UP : SHOAL_HL_UNKNOWN;
}

__u32 shoal_slow_start_permille(__u64 up_since_ns, __u64 now_ns, __u32 slow_start_ms)
{
	__u64 span = (__u64)slow_start_ms * NS_PER_MS, done;

	if (!slow_start_ms || !up_since_ns || now_ns < up_since_ns || now_ns - up_since_ns >= span)
		return 1000;
	done = now_ns - up_since_ns;
	/* tenths, starting at one: at most ten table builds per ramp */
	return (__u32)(100 * (1 + done * 10 / span));
}

bool shoal_panic(size_t healthy, size_t active, __u32 panic_pct)
{
	return active && healthy * 100 < (size_t)panic_pct * active;
}

__u64 shoal_check_offset_ns(__u64 key, __u32 interval_ms)
{
	/* splitmix64: neighbouring keys land far apart */
	key += 0x9e3779b97f4a7c15ULL;
	key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ULL;
	key = (key ^ (key >> 27)) * 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key % ((__u64)interval_ms * NS_PER_MS);
}

__u64 shoal_check_next_ns(__u32 interval_ms, __u32 jitter_pct, __u32 r)
{
	__u64 base = (__u64)interval_ms * NS_PER_MS, span = base * jitter_pct / 100;

	if (!span)
		return base;
	/* uniform in [base - span, base + span] */
	return base - span + (__u64)r % (2 * span + 1);
}

/* ---- passive ---- */

bool shoal_passive_sample(struct shoal_passive *p, const struct shoal_passive_conf *c,
			  __u64 new_flows, __u64 syn_repeats, __u64 now_ns, char *why, size_t len)
{
	__u64 dn, dr;

	if (!p->have_base || new_flows < p->base_new || syn_repeats < p->base_rep) {
		p->base_new = new_flows;
		p->base_rep = syn_repeats;
		p->start_ns = now_ns;
		p->have_base = true;
		return false;
	}
	dn = new_flows - p->base_new;
	dr = syn_repeats - p->base_rep;
	if (dn + dr >= c->min_syns && dr * 100 >= (__u64)c->ratio_pct * (dn ? dn : 1)) {
		snprintf(why, len, "passive: %llu SYNs repeated on %llu new flows",
			 (unsigned long long)dr, (unsigned long long)dn);
		p->have_base = false;
		return true;
	}
	if (now_ns - p->start_ns >= (__u64)c->window_ms * NS_PER_MS) {
		p->base_new = new_flows;
		p->base_rep = syn_repeats;
		p->start_ns = now_ns;
	}
	return false;
}

/* ---- agent-check ---- */

static bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

static int agent_word(const char *w, size_t n, struct shoal_agent_reply *r)
{
	static const struct {
		const char *word;
		enum shoal_agent_admin admin;
	} words[] = {
		{ "up", SHOAL_AGENT_UP },	 { "ready", SHOAL_AGENT_UP },
		{ "down", SHOAL_AGENT_DOWN },	 { "fail", SHOAL_AGENT_DOWN },
		{ "stopped", SHOAL_AGENT_DOWN }, { "drain", SHOAL_AGENT_DRAIN },
		{ "maint", SHOAL_AGENT_MAINT },
	};
	size_t i;

	if (n >= 2 && w[n - 1] == '%') {
		int v = 0;

		if (n - 1 > 3)
			return -EINVAL;
		for (i = 0; i < n - 1; i++) {
			if (w[i] < '0' || w[i] > '9')
				return -EINVAL;
			v = v * 10 + (w[i] - '0');
		}
		if (v > 255)
			return -EINVAL;
		r->pct = v;
		return 0;
	}
	/* maxconn:N limits connections in HAProxy; an L4 balancer has none to limit */
	if (n > 8 && !strncmp(w, "maxconn:", 8)) {
		for (i = 8; i < n; i++)
			if (w[i] < '0' || w[i] > '9')
				return -EINVAL;
		return 0;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i].word) == n && !strncasecmp(w, words[i].word, n)) {
			r->admin = words[i].admin;
			return 0;
		}
	}
	return -EINVAL;
}

int shoal_agent_parse(const char *line, size_t len, struct shoal_agent_reply *ret)
{
	struct shoal_agent_reply r = { .admin = SHOAL_AGENT_NONE, .pct = -1 };
	size_t i = 0, words = 0;

	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	while (i < len) {
		size_t start;

		while (i < len && is_sep(line[i]))
			i++;
		if (i == len || line[i] == '#')
			break;
		start = i;
		while (i < len && !is_sep(line[i]) && line[i] != '#')
			i++;
		if (agent_word(line + start, i - start, &r))
			return -EINVAL;
		words++;
	}
	if (!words)
		return -EINVAL;
	*ret = r;
	return 0;
}

int shoal_agent_smooth(int applied, int reported)
{
	int target = (applied + reported) / 2, step;

	if (reported == applied)
		return applied;
	/* half the way, but never stuck short of a steady report */
	if (abs(reported - applied) <= 5)
		target = reported;
	step = target - applied;
	if (step > 25)
		step = 25;
	if (step < -25)
		step = -25;
	target = applied + step;
	if (target != reported)
		target = (target + 2) / 5 * 5;
	if (target < 0)
		target = 0;
	return target;
}

/* ---- availability ---- */

void shoal_avail_account(struct shoal_avail *a, enum shoal_health_state state, __u64 now_ns)
{
	__u64 t, minute;

	if (!a->last_ns || now_ns <= a->last_ns) {
		if (!a->last_ns) {
			a->minute = now_ns / (60000 * NS_PER_MS);
			a->last_ns = now_ns;
		}
		return;
	}
	t = a->last_ns;
	while (t < now_ns) {
		__u64 end = (t / (60000 * NS_PER_MS) + 1) * 60000 * NS_PER_MS, span;
		__u32 slot;

		if (end > now_ns)
			end = now_ns;
		minute = t / (60000 * NS_PER_MS);
		/* minutes skipped since the last call start empty */
		if (minute - a->minute >= SHOAL_AVAIL_MINUTES) {
			memset(a->min_up_ms, 0, sizeof(a->min_up_ms));
			memset(a->min_down_ms, 0, sizeof(a->min_down_ms));
			a->minute = minute;
		}
		while (a->minute < minute) {
			a->minute++;
			slot = a->minute % SHOAL_AVAIL_MINUTES;
			a->min_up_ms[slot] = a->min_down_ms[slot] = 0;
		}
		slot = minute % SHOAL_AVAIL_MINUTES;
		span = end - t;
		if (state == SHOAL_HEALTH_UP) {
			a->up_ns += span;
			a->min_up_ms[slot] += (__u32)(span / NS_PER_MS);
		} else if (state == SHOAL_HEALTH_DOWN) {
			a->down_ns += span;
			a->min_down_ms[slot] += (__u32)(span / NS_PER_MS);
		}
		t = end;
	}
	a->last_ns = now_ns;
}

double shoal_avail_life(const struct shoal_avail *a)
{
	if (!a->up_ns && !a->down_ns)
		return 1.0;
	return (double)a->up_ns / (double)(a->up_ns + a->down_ns);
}

double shoal_avail_hour(const struct shoal_avail *a)
{
	__u64 up = 0, down = 0;
	int i;

	for (i = 0; i < SHOAL_AVAIL_MINUTES; i++) {
		up += a->min_up_ms[i];
		down += a->min_down_ms[i];
	}
	if (!up && !down)
		return 1.0;
	return (double)up / (double)(up + down);
}

double shoal_avail_any(const double *a, size_t n)
{
	double none = 1.0;
	size_t i;

	for (i = 0; i < n; i++)
		none *= 1.0 - a[i];
	return 1.0 - none;
}
