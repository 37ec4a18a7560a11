# vpcflowd: see README.md. GNU make.

VERSION		:= 0.1.0
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
SYSCONFDIR	?= /etc
SYSTEMDUNITDIR	?= /lib/systemd/system
DESTDIR		?=

CC		?= cc
CFLAGS		?= -O2 -g
WARN		:= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes
CPPFLAGS	+= -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Iinclude -DVPCFLOWD_VERSION='"$(VERSION)"'
LDLIBS		+= -lcurl -lssl -lcrypto -lz -ljansson -lconfig -lm

# SANITIZE=1: everything (daemon, unit tests, integration tests) under ASan+UBSan,
# in a build directory of its own so objects never mix.
ifeq ($(SANITIZE),1)
BUILD		?= build/san
SANFLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS		+= $(SANFLAGS) -O1
LDFLAGS		+= $(SANFLAGS)
export ASAN_OPTIONS := detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
else
BUILD		?= build
endif

# Shared test data (AWS SigV4 suite, AWS example flow records), never copied here.
SHARED		?= $(firstword $(wildcard ../shared /work/shared))
export VPCFLOWD_SHARED := $(abspath $(SHARED))

BIN		:= $(BUILD)/vpcflowd
SRCS		:= $(wildcard src/*.c)
LIB_SRCS	:= $(filter-out src/main.c,$(SRCS))
OBJS		:= $(SRCS:src/%.c=$(BUILD)/obj/%.o)
LIB_OBJS	:= $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
TEST_SRCS	:= $(wildcard tests/unit/test_*.c)
TEST_BINS	:= $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRCS	:= $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS	:= $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
FUZZ_TIME	?= 60

# Debian package names of everything the build and the tests need.
DEB_PKGS	:= make gcc libcurl4-openssl-dev libssl-dev zlib1g-dev libjansson-dev \
		   libconfig-dev libcmocka-dev python3 openssl systemd
DEP_HEADERS	:= curl/curl.h openssl/evp.h zlib.h jansson.h libconfig.h cmocka.h

.PHONY: all check unit integration bench fuzz install uninstall clean deps deps-check demo \
	demo-decode

all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -MMD -MP -c -o $@ $<

$(BUILD)/obj $(BUILD)/tests build/fuzz:
	@mkdir -p $@

-include $(OBJS:.o=.d)

# Unit tests: one cmocka binary per module, linked with every module but main.
$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJS) | $(BUILD)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -Wno-missing-prototypes -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(LDLIBS) -lcmocka

# make check: missing build dependencies are installed first (root on Debian),
# or the exact apt-get line is printed.
check: deps-check
	@$(MAKE) --no-print-directory unit integration

unit: $(TEST_BINS)
	@fail=0; for t in $(TEST_BINS); do \
		echo "== $$t"; $$t || fail=1; \
	done; test $$fail = 0

integration: $(BIN)
	python3 tests/integration/run.py --bin $(BIN)

deps-check:
	@missing=""; for h in $(DEP_HEADERS); do \
		[ -e /usr/include/$$h ] || [ -e /usr/include/x86_64-linux-gnu/$$h ] || \
		[ -e /usr/include/$$(uname -m)-linux-gnu/$$h ] || missing="$$missing $$h"; \
	done; \
	for c in python3 openssl; do command -v $$c >/dev/null || missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
		echo "vpcflowd: missing build dependencies:$$missing"; \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			$(MAKE) --no-print-directory deps; \
		else \
			echo "install them with (as root):"; \
			echo "  apt-get install -y $(DEB_PKGS)"; \
			exit 1; \
		fi; \
	fi

deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS)

# Benchmarks print figures; they assert nothing about time.
bench: deps-check $(BIN) $(BUILD)/bench/bench_cwl $(BUILD)/bench/bench_ship
	sh tests/bench/bench.sh $(BIN) $(BUILD)/bench

$(BUILD)/bench/%: tests/bench/%.c $(LIB_OBJS)
	@mkdir -p $(BUILD)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The page parser against the jansson parser it replaced (tests/fuzz/cwl_ref.h).
$(BUILD)/bench/bench_cwl: tests/fuzz/cwl_ref.h

# Fuzz targets for every parser of outside input (clang libFuzzer).
FUZZ_CFLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
build/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) | build/fuzz
	clang $(CPPFLAGS) $(FUZZ_CFLAGS) $(WARN) -Wno-missing-prototypes -o $@ $< $(LIB_SRCS) $(LDLIBS)

fuzz: deps-check $(FUZZ_BINS)
	@for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
		echo "== $$n for $(FUZZ_TIME)s"; \
		$$f -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		    build/fuzz/corpus/$$n tests/fuzz/seeds/$$n || exit 1; \
	done

# The README's main command: a day of generated VPC traffic in a fake
# CloudWatch Logs, vpcflowd in the foreground until a fake Logz.io listener
# has every record, then the traffic picture and the verdict (tests/demo/demo.py).
demo: deps-check $(BIN)
	python3 tests/demo/demo.py --bin $(BIN)

# The decoding pass alone: generated records -> the documents vpcflowd ships.
demo-decode: deps-check $(BIN)
	sh tests/bench/demo-decode.sh $(BIN)

# The unit names /usr/local/bin/vpcflowd and /etc/vpcflowd/: sed points it at
# BINDIR and SYSCONFDIR.
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/vpcflowd $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/vpcflowd
	install -m 644 man/vpcflowd.8 $(DESTDIR)$(MANDIR)/man8/vpcflowd.8
	install -m 644 man/vpcflowd.conf.5 $(DESTDIR)$(MANDIR)/man5/vpcflowd.conf.5
	sed -e 's|/usr/local/bin/vpcflowd|$(BINDIR)/vpcflowd|g' \
	    -e 's|/etc/vpcflowd/|$(SYSCONFDIR)/vpcflowd/|g' \
	    systemd/vpcflowd@.service > $(DESTDIR)$(SYSTEMDUNITDIR)/vpcflowd@.service.tmp
	chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/vpcflowd@.service.tmp
	mv -f $(DESTDIR)$(SYSTEMDUNITDIR)/vpcflowd@.service.tmp \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vpcflowd@.service
	[ -e $(DESTDIR)$(SYSCONFDIR)/vpcflowd/example.conf ] || \
		install -m 600 etc/example.conf $(DESTDIR)$(SYSCONFDIR)/vpcflowd/example.conf

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vpcflowd $(DESTDIR)$(MANDIR)/man8/vpcflowd.8 \
		$(DESTDIR)$(MANDIR)/man5/vpcflowd.conf.5 \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vpcflowd@.service
	@f=$(DESTDIR)$(SYSCONFDIR)/vpcflowd/example.conf; \
	if [ -e $$f ] && ! cmp -s etc/example.conf $$f; then \
		echo "vpcflowd: keeping $$f: it was changed"; else rm -f $$f; fi
	rmdir $(DESTDIR)$(SYSCONFDIR)/vpcflowd 2>/dev/null || true

clean:
	rm -rf build
