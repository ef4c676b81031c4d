# runjob - run declarative batch jobs
#
#   make            build ./runjob
#   make demo       install missing build dependencies, build, run an example
#   make check      install what the tests need, build, run every test
#   make install    PREFIX=/usr/local DESTDIR=
#   make SANITIZE=address,undefined check

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
CORE_PKGS = yaml-0.1 sqlite3 libgit2
PKGS = $(CORE_PKGS) hiredis openssl

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -std=c11 -Wall -Wextra -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wpointer-arith -Wformat=2
ifdef WERROR
WARNINGS += -Werror
endif
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif
CPPFLAGS += -D_GNU_SOURCE -DRUNJOB_VERSION='"$(VERSION)"' -Irunner -Ijournal
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null || echo -lyaml -lsqlite3 -lgit2 -lhiredis -lssl -lcrypto) -lpthread
CORE_LIBS = $(shell $(PKG_CONFIG) --libs $(CORE_PKGS) 2>/dev/null || echo -lyaml -lsqlite3 -lgit2) -lpthread

# Everything but the commands also goes into the unit tests and benchmarks.
# CORE_SRC, the loader and the checks among it, links without hiredis (the
# loader's fuzz target is built from it alone); REDIS_SRC runs the redis
# built-ins, SQLITE_SRC the sqlite ones.
CORE_SRC = runner/action.c runner/arena.c runner/builtin.c runner/buf.c runner/check.c runner/checkpoint.c runner/clock.c runner/cron.c runner/diag.c \
	runner/expand.c runner/fname.c runner/git.c runner/graph.c runner/job.c runner/json.c \
	runner/lines.c runner/load.c \
	runner/env.c runner/mask.c runner/name.c runner/param.c runner/plan.c \
	runner/lock.c runner/proc.c runner/resume.c runner/scheduler.c runner/gate.c runner/notify.c runner/progress.c runner/prompt.c runner/eta.c runner/sv.c \
	runner/attempt.c runner/outputs.c runner/leftover.c runner/dryrun.c runner/laststate.c \
	runner/ui.c runner/units.c runner/seal.c runner/sha256.c runner/source.c \
	runner/util.c runner/visible.c runner/window.c runner/zone.c journal/journal.c journal/key.c journal/schema.c \
	journal/writer.c runner/redis/settings.c runner/redis/url.c \
	runner/sqlite/settings.c
REDIS_SRC = runner/redis/conn.c runner/redis/copy.c runner/redis/guard.c \
	runner/redis/changes.c runner/redis/cluster.c runner/redis/key.c \
	runner/redis/reshard.c runner/redis/server.c runner/redis/tls.c \
	runner/redis/verify.c
SQLITE_SRC = runner/sqlite/db.c runner/sqlite/digest.c runner/sqlite/exec.c \
	runner/sqlite/feed.c runner/sqlite/row.c runner/sqlite/schema.c \
	runner/sqlite/sync.c
LIB_SRC = $(CORE_SRC) $(REDIS_SRC) $(SQLITE_SRC)
CORE_OBJ = $(CORE_SRC:.c=.o)
REDIS_OBJ = $(REDIS_SRC:.c=.o)
SQLITE_OBJ = $(SQLITE_SRC:.c=.o)
LIB_OBJ = $(CORE_OBJ) $(REDIS_OBJ) $(SQLITE_OBJ)
# The commands, only in runjob itself.
CMD_SRC = runner/main.c runner/action_cmd.c runner/audit.c runner/cli.c \
	runner/diff.c runner/due.c runner/help.c runner/inspect.c \
	runner/prune.c runner/report.c runner/run.c runner/schedule.c \
	runner/show.c runner/supervisor.c runner/where.c
CMD_OBJ = $(CMD_SRC:.c=.o)
UNIT_SRC = $(wildcard t/unit/*.c)
UNIT_BIN = $(UNIT_SRC:.c=)

all: runjob

runjob: $(CMD_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CMD_OBJ) $(LIB_OBJ) $(PKG_LIBS)

# Each object depends on the headers it includes, as the compiler found
# them (-MMD writes them to its .d file; -MP keeps make going when a
# header is removed). The first build has no .d files and needs none.
DEPFLAGS = -MMD -MP

%.o: %.c
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARNINGS) -c -o $@ $<

# The schema and its upgrades are compiled in as C strings.
journal/schema.c: journal/sql2c.sh journal/schema.sql journal/upgrade-*.sql
	sh journal/sql2c.sh journal/schema.sql journal/upgrade-*.sql >$@

t/unit/%: t/unit/%.c $(LIB_OBJ)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARNINGS) -o $@ $< \
		$(LIB_OBJ) $(LDFLAGS) $(PKG_LIBS)

t/perf/redis-baseline: t/perf/redis-baseline.c
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARNINGS) -o $@ $< \
		$(LDFLAGS) $(PKG_LIBS)

t/perf/window-bench: t/perf/window-bench.c $(LIB_OBJ)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARNINGS) -o $@ $< \
		$(LIB_OBJ) $(LDFLAGS) $(PKG_LIBS)

t/perf/mask-bench: t/perf/mask-bench.c $(LIB_OBJ)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARNINGS) -o $@ $< \
		$(LIB_OBJ) $(LDFLAGS) $(PKG_LIBS)

t/perf/eta-bench: t/perf/eta-bench.c $(LIB_OBJ)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARNINGS) -o $@ $< \
		$(LIB_OBJ) $(LDFLAGS) $(PKG_LIBS)

t/perf/plan-bench: t/perf/plan-bench.c $(LIB_OBJ)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARNINGS) -o $@ $< \
		$(LIB_OBJ) $(LDFLAGS) $(PKG_LIBS)

# Debian packages: to build, and what the tests use besides.
BUILD_DEPS = pkg-config libyaml-dev libsqlite3-dev libgit2-dev libhiredis-dev libssl-dev
TEST_DEPS = python3-jsonschema python3-yaml python3-redis mandoc tmux sqlite3 git \
	procps redis-server redis-tools tzdata chromium openssl

deps:
	@sh t/install-deps.sh $(BUILD_DEPS)

test-deps:
	@sh t/install-deps.sh $(BUILD_DEPS) $(TEST_DEPS)

demo: deps
	@$(MAKE) --no-print-directory runjob
	@echo '$$ ./runjob check examples/hello.yaml examples/fan-out.yaml'
	@./runjob check examples/hello.yaml examples/fan-out.yaml
	@echo '$$ ./runjob plan examples/fan-out.yaml -p REGIONS=eu,us'
	@./runjob plan -p REGIONS=eu,us examples/fan-out.yaml
	@tmp=$$(mktemp -d) && cp examples/waves.yaml "$$tmp/" && \
	echo "\$$ ./runjob run --journal $$tmp/journal.db $$tmp/waves.yaml" && \
	./runjob run --journal "$$tmp/journal.db" "$$tmp/waves.yaml" && \
	echo "\$$ ./runjob status --journal $$tmp/journal.db" && \
	./runjob status --journal "$$tmp/journal.db"; \
	code=$$?; rm -rf "$$tmp"; exit $$code

check: test-deps
	@$(MAKE) --no-print-directory runjob $(UNIT_BIN) t/fuzz/replay-load
	RUNJOB_SANITIZE=$(SANITIZE) prove -j2 $(UNIT_BIN) t/t[0-9]*.sh

bench: runjob t/perf/plan-bench t/perf/window-bench t/perf/redis-baseline \
	t/perf/mask-bench t/perf/eta-bench
	sh t/perf/check-bench.sh
	sh t/perf/template-bench.sh
	./t/perf/plan-bench 10000 100000 1000000
	./t/perf/window-bench
	./t/perf/eta-bench
	sh t/perf/run-bench.sh
	sh t/perf/resume-bench.sh
	sh t/perf/history-bench.sh
	sh t/perf/redis-bench.sh
	sh t/perf/redis-tls-bench.sh
	sh t/perf/redis-cluster-bench.sh
	sh t/perf/sqlite-bench.sh
	sh t/perf/audit-bench.sh
	sh t/perf/schedule-idle.sh
	sh t/perf/report-bench.sh
	sh t/perf/mask-bench.sh
	./t/perf/mask-bench

install: runjob
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	cp runjob $(DESTDIR)$(BINDIR)/runjob
	chmod 755 $(DESTDIR)$(BINDIR)/runjob
	cp docs/runjob.1 $(DESTDIR)$(MANDIR)/man1/runjob.1
	cp docs/runjob-job.5 $(DESTDIR)$(MANDIR)/man5/runjob-job.5
	chmod 644 $(DESTDIR)$(MANDIR)/man1/runjob.1 $(DESTDIR)$(MANDIR)/man5/runjob-job.5

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/runjob $(DESTDIR)$(MANDIR)/man1/runjob.1 \
		$(DESTDIR)$(MANDIR)/man5/runjob-job.5

clean:
	rm -f runjob runner/*.o runner/redis/*.o runner/sqlite/*.o journal/*.o journal/schema.c $(UNIT_BIN) t/perf/plan-bench t/perf/window-bench t/perf/mask-bench t/perf/redis-baseline t/fuzz/replay-load t/fuzz/fuzz-load
	rm -f runner/*.d runner/redis/*.d runner/sqlite/*.d journal/*.d t/unit/*.d t/perf/*.d t/fuzz/*.d
	rm -rf t/trash

.PHONY: all deps test-deps demo check bench install uninstall clean fuzz

# Fuzzing: `make fuzz` builds the libFuzzer target (clang); run it as
#   t/fuzz/fuzz-load -max_len=65536 t/fuzz/corpus examples
# The replay driver runs the corpus once, in `make check`.
t/fuzz/replay-load: t/fuzz/fuzz-load.c $(CORE_OBJ)
	$(CC) $(CPPFLAGS) $(DEPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(WARNINGS) -DSTANDALONE \
		-o $@ t/fuzz/fuzz-load.c $(CORE_OBJ) $(LDFLAGS) $(CORE_LIBS)

-include $(wildcard runner/*.d runner/redis/*.d journal/*.d t/unit/*.d t/perf/*.d t/fuzz/*.d)

fuzz:
	clang $(CPPFLAGS) $(PKG_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined \
		-o t/fuzz/fuzz-load t/fuzz/fuzz-load.c $(CORE_SRC) $(CORE_LIBS)
