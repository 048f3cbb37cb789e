/* Corpus replay: without libFuzzer every fuzz target links this main(),
 * which feeds each file of its stored corpus to LLVMFuzzerTestOneInput and
 * prints one TAP line per file. A crash or sanitizer report fails the test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	int ret = -1;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(n ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto out;
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	ret = 0;
out:
	free(buf);
	fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int failed = 0;
	struct dirent *de;
	DIR *d;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		/* A fuzzer without its corpus is a defect, not a skip. */
		printf("1..1\nnot ok 1 - no corpus at %s\n", argv[1]);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				return 1;
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	if (n == 0) {
		printf("1..1\nnot ok 1 - empty corpus %s\n", argv[1]);
		return 1;
	}
	qsort(names, n, sizeof(*names), cmp);
	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		if (run_file(path)) {
			printf("not ok %zu - %s (unreadable)\n", i + 1, names[i]);
			failed++;
		} else {
			printf("ok %zu - %s\n", i + 1, names[i]);
		}
		fflush(stdout);
		free(names[i]);
	}
	free(names);
	return failed ? 1 : 0;
}
