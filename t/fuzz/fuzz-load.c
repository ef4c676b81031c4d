/*
 * fuzz-load.c - libFuzzer target for everything `runjob plan` does with
 * a job text: YAML, decoding, the graph, checks, params, plan output,
 * and the file names of the instances.
 *
 * Built with -DSTANDALONE it is a replay driver instead: it runs each
 * file named on the command line once, so the corpus is a regression
 * test under the sanitizers without libFuzzer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fname.h"
#include "graph.h"
#include "job.h"
#include "mask.h"
#include "param.h"
#include "plan.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every instance gets a file name of its own, short enough for any file
 * system: two instances sharing one would share a log. */
static void
check_file_names(const struct plan *p)
{
	char **names = xcalloc(p->n + 1, sizeof(*names));
	unsigned char *repeat = xmalloc(p->n + 1);
	size_t i;

	for (i = 0; i < p->n; i++) {
		names[i] = fname_of(p->v[i].id);
		if (strlen(names[i]) > FNAME_MAX || strchr(names[i], '/'))
			fatal("bad file name '%s' for '%s'", names[i],
				p->v[i].id);
	}
	find_repeats((const char *const *)names, p->n, repeat);
	for (i = 0; i < p->n; i++)
		if (repeat[i])
			fatal("two instances share the file name '%s'",
				names[i]);
	for (i = 0; i < p->n; i++)
		free(names[i]);
	free(names);
	free(repeat);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct param_args args = {0};
	struct param_values pv = {0};
	struct diags d = {0};
	struct mask m = {0};
	struct graph g = {0};
	struct plan p;
	struct job *job;
	char *text;

	if (size > LOAD_MAX_FILE)
		return 0;
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (job_parse(&job, "fuzz.yaml", text, size, &d) < 0 && !job->steps)
		goto out;
	params_check(job, &d);
	graph_build(&g, job, &d);
	check_job(job, &g, &d);
	params_resolve(&pv, job, &args, &d);
	if (g.nwaves && !d.nerrors && plan_build(&p, job, &g, &pv, &d) == 0) {
		plan_print(&p, &m, PLAN_TEXT);
		plan_print(&p, &m, PLAN_JSON);
		plan_print(&p, &m, PLAN_DOT);
		check_file_names(&p);
		plan_free(&p);
	}
	graph_free(&g);
out:
	job_free(job);
	diags_free(&d);
	return 0;
}

#ifdef STANDALONE
int
main(int argc, char **argv)
{
	int i;

	if (!freopen("/dev/null", "w", stdout))
		fatal("cannot open /dev/null");
	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		char *buf = xmalloc(LOAD_MAX_FILE + 1);
		size_t n;

		if (!f)
			fatal("cannot open %s", argv[i]);
		n = fread(buf, 1, LOAD_MAX_FILE + 1, f);
		fclose(f);
		LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
		free(buf);
	}
	fprintf(stderr, "replayed %d inputs\n", argc - 1);
	return 0;
}
#endif
