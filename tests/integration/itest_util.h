/* Helpers for the integration test programs: entering the namespaces that
 * run.sh made, running commands and reading their output, and waiting for
 * the processes a test started to be gone. */
#ifndef ITEST_UTIL_H
#define ITEST_UTIL_H

#include <dirent.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static inline const char *env_or_die(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "%s is not set: run this through tests/integration/run.sh\n", name);
		exit(2);
	}
	return v;
}

/* Moves this (single-threaded) process into the named network namespace. */
static inline void enter_ns(const char *ns)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		fail_msg("cannot enter namespace %s: %s", ns, strerror(errno));
	close(fd);
}

static inline int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int run_cmd(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The whole standard output of a command; free() it. */
static inline char *capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *capture(const char *fmt, ...)
{
	char cmd[1024];
	size_t len = 0, cap = 4096, n;
	char *out = malloc(cap);
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f || !out)
		fail_msg("popen %s", cmd);
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2)
			out = realloc(out, cap *= 2);
	}
	out[len] = '\0';
	pclose(f);
	return out;
}

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Is a live (not zombie) process running "PROG IFNAME"? Reaps the
 * implementations that daemonized under us (we are their subreaper). */
static inline bool impl_running(const char *prog, const char *ifname)
{
	char path[300], buf[256], want[128], stat[512];
	struct dirent *de;
	bool found = false;
	size_t wl;
	DIR *d;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	wl = (size_t)snprintf(want, sizeof(want), "%s%c%s%c", prog, 0, ifname, 0);
	d = opendir("/proc");
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		FILE *f;
		size_t n;
		char *base, *rp;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		base = memchr(buf, 0, n);
		if (!base)
			continue;
		/* argv[0] may be a path */
		rp = memrchr(buf, '/', (size_t)(base - buf));
		rp = rp ? rp + 1 : buf;
		if ((size_t)(buf + n - rp) < wl || memcmp(rp, want, wl))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[n] = '\0';
		rp = strrchr(stat, ')');
		found = rp && rp[1] == ' ' && rp[2] != 'Z';
	}
	closedir(d);
	return found;
}

#endif
