/*
 * yaml-parse.c - the baseline for t/perf/check-bench.sh: read a file and
 * run libyaml's event parser over it, only counting events. No tree, no
 * job model: what any YAML-reading tool pays at the least.
 *
 *   cc -O2 -o yaml-parse yaml-parse.c $(pkg-config --cflags --libs yaml-0.1)
 *   ./yaml-parse FILE
 */
#include <stdio.h>
#include <stdlib.h>

#include <yaml.h>

int
main(int argc, char **argv)
{
	yaml_parser_t parser;
	yaml_event_t event;
	unsigned char *text;
	unsigned long events = 0, scalars = 0;
	long len;
	FILE *f;
	int done = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: yaml-parse FILE\n");
		return 2;
	}
	/* Read the whole file first, as runjob does. */
	if (!(f = fopen(argv[1], "rb")) || fseek(f, 0, SEEK_END) < 0 ||
	    (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (!(text = malloc((size_t)len + 1)) ||
	    fread(text, 1, (size_t)len, f) != (size_t)len) {
		perror(argv[1]);
		return 1;
	}
	fclose(f);

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, text, (size_t)len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			fprintf(stderr, "%s:%lu:%lu: %s\n", argv[1],
				(unsigned long)parser.problem_mark.line + 1,
				(unsigned long)parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "parse error");
			yaml_parser_delete(&parser);
			free(text);
			return 1;
		}
		events++;
		if (event.type == YAML_SCALAR_EVENT)
			scalars++;
		done = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	free(text);
	printf("%lu events, %lu scalars\n", events, scalars);
	return 0;
}
