# Thin wrapper so the README's commands stay short. The real build is meson (meson.build).
#   make         install missing Debian packages (needs root), build build/daemon/nodd, noddctl
#   make run     run nodd with examples/nodd.yaml (DNS on 127.0.0.1@5353, HTTP on @8053)
#   make test    unit tests, fuzz-corpus replay, ASan/UBSan unit tests, integration tests
#                (release, ASan/UBSan, and the threaded ones under TSan), the Debian package
#   make bench   benchmarks against rbldnsd (see tests/bench/README.md); BENCH_GROWTH=1 also
#                runs them at several sizes (tests/bench/bench_growth.py, about 20 minutes)
#   make chaos   kill -9 nodd at random moments while a BIND primary feeds it (tests/chaos/):
#                CHAOS_KILLS=200 by default, CHAOS_SEED=N repeats a run's kill schedule
#   make demo    the whole pipeline offline: local BIND primary -> nodd -> dig, kcat
BUILD ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
PY := /usr/bin/python3

BUILD_PKGS := gcc pkg-config meson ninja-build libldns-dev libevent-dev libssl-dev \
	libsqlite3-dev librdkafka-dev libyaml-dev libpsl-dev publicsuffix libwslay-dev \
	libjansson-dev libcurl4-openssl-dev libidn2-dev
TEST_PKGS := bind9 bind9-dnsutils knot-dnsutils ldnsutils unbound rbldnsd nsd dnsperf \
	kcat faketime python3 python3-dnspython python3-pytest python3-websocket clang \
	libclang-rt-14-dev curl procps postfix spamassassin rsync nginx openssl \
	sqlite3 systemd \
	certspotter python3-cryptography \
	debhelper dpkg-dev build-essential fakeroot lintian man-db groff-base adduser strace

.PHONY: all deps deps-test build run test bench chaos demo clean

all: deps build

deps:
	@tools/ensure-packages $(BUILD_PKGS)

deps-test:
	@tools/ensure-packages $(BUILD_PKGS) $(TEST_PKGS)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: all
	@mkdir -p var
	$(BUILD)/daemon/nodd -c examples/nodd.yaml

test: deps-test build
	@tools/run-tests $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

BENCH_GROWTH ?= 0
bench: deps-test build
	tests/bench/run_bench.sh $(BUILD)
	@if [ "$(BENCH_GROWTH)" = 1 ]; then $(PY) tests/bench/bench_growth.py $(BUILD); fi

CHAOS_KILLS ?= 200
chaos: deps-test build
	NODD_BUILD=$(BUILD) $(PY) tests/chaos/chaos.py --kills $(CHAOS_KILLS) $(if $(CHAOS_SEED),--seed $(CHAOS_SEED))

demo: deps-test build
	tests/tools/demo.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) var
