# Basalt's entry points. `make run` and `make test` do all set-up on a fresh
# Debian 12 machine (scripts/install-deps installs what is missing).
BUILD_DIR ?= build
ASAN_DIR  ?= build-asan
FUZZ_DIR  ?= build-fuzz
PYTHON    ?= /usr/bin/python3
JOBS      ?= $(shell nproc)
FUZZ_SECONDS ?= 30

.PHONY: deps configure build run test unit-test integration-test test-asan test-tsan fuzz fuzz-long bench bench-persistence bench-replication bench-failover bench-k8s bench-scripting ha-demo soak-persistence soak-replication soak-sentinel soak-k8s image clean

deps:
	@bash scripts/install-deps

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	mkdir -p data
	$(BUILD_DIR)/basalt-server --bind 127.0.0.1 --port 6379 --dir ./data

unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

integration-test: build
	BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server $(PYTHON) -m pytest -q tests/integration

# Every test: unit tests (CTest), a short fuzz run, integration tests (pytest).
test: build
	@rc=0; \
	(cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)) || rc=1; \
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20 || rc=1; \
	BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration || rc=1; \
	exit $$rc

test-asan: deps
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DBASALT_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j $(JOBS)
	@rc=0; \
	(cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)) || rc=1; \
	BASALT_SERVER=$(abspath $(ASAN_DIR))/basalt-server BASALT_SANITIZED=1 $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration || rc=1; \
	exit $$rc

# ThreadSanitizer over the multi-threaded suites (data races between workers).
# TSan's deadlock detector is off: FLUSHALL legitimately holds every shard lock.
TSAN_DIR ?= build-tsan
test-tsan: deps
	cmake -S . -B $(TSAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBASALT_TSAN=ON -DBASALT_TESTS=OFF
	cmake --build $(TSAN_DIR) -j $(JOBS) --target basalt-server
	TSAN_OPTIONS="detect_deadlocks=0 halt_on_error=1 exitcode=66" BASALT_SANITIZED=1 \
	BASALT_SERVER=$(abspath $(TSAN_DIR))/basalt-server $(PYTHON) -m pytest -q -p no:cacheprovider \
	  tests/integration/test_concurrency.py tests/integration/test_diff_transactions.py \
	  tests/integration/test_pubsub.py tests/integration/test_clients.py \
	  tests/integration/test_replication.py tests/integration/test_replication_sync.py \
	  tests/integration/test_replication_interop.py tests/integration/test_replication_faults.py \
	  tests/integration/test_sentinel.py

# libFuzzer targets (clang). `make fuzz` is a short run; `make fuzz-long` runs 10 minutes.
fuzz: deps
	@bash fuzz/run $(FUZZ_DIR) $(FUZZ_SECONDS)

fuzz-long: deps
	@bash fuzz/run $(FUZZ_DIR) 600

bench: build
	bash bench/compare

# Persistence side by side with Redis: AOF throughput per appendfsync policy, BGSAVE of 10M
# keys under a write load, load time at start-up (~20 min, a few GB of RAM and disk).
bench-persistence: build
	bash bench/persistence

bench-replication: build
	bash bench/replication

# Failover time, kill -9 of the primary to the first write acknowledged by the new one:
# redis-server + redis-sentinel against Basalt + Basalt's sentinel (~1 min).
bench-failover: build
	BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server bash bench/failover

# Kubernetes membership scenarios (planned restart, stale primary, empty volume),
# then the harness's six scenarios in network namespaces (root), Basalt and
# Redis + Sentinel side by side (~2 + ~5 min; docs/benchmarks.md).
bench-k8s: build
	BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server $(PYTHON) bench/k8s_scenarios.py
	BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server $(PYTHON) bench/k8s_harness_compare.py

# Lua scripting side by side with Redis: EVALSHA/FCALL of a rate limiter (ops/s, CPU per
# request) and GETs from other connections while a script runs (~3 min).
bench-scripting: build
	BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server bash bench/scripting

# A primary, two replicas and three sentinels on 127.0.0.1 to try failover by hand;
# `scripts/ha-demo stop` stops them.
ha-demo: build
	BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server bash scripts/ha-demo

# Sentinel fault drills (kill -9, SIGSTOP, sentinel crash, partition), SENTINEL_ROUNDS failovers each.
SENTINEL_ROUNDS ?= 10
soak-sentinel: build
	SENTINEL_DRILL_ROUNDS=$(SENTINEL_ROUNDS) BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration/test_sentinel_faults.py

# Membership soak (issue 17): RTO_ROUNDS kill -9 rounds in one topology, the
# sentinels-only partition drill SENTINEL_ROUNDS times, and the discovery,
# handover, fence and cold-start scenarios K8S_REPEAT times, and the
# Kubernetes harness scenarios (test_k8s_harness.py) K8S_ROUNDS times each.
RTO_ROUNDS ?= 20
K8S_REPEAT ?= 5
K8S_ROUNDS ?= 10
soak-k8s: build
	@rc=0; \
	RTO_ROUNDS=$(RTO_ROUNDS) BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server \
	  $(PYTHON) -m pytest -q -s -p no:cacheprovider tests/integration/test_failover_rto.py || rc=1; \
	SENTINEL_DRILL_ROUNDS=$(SENTINEL_ROUNDS) BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration/test_sentinel_faults.py \
	  -k partition_primary_from_sentinels_only || rc=1; \
	for i in $$(seq $(K8S_REPEAT)); do \
	  K8S_SOAK=1 BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server $(PYTHON) -m pytest -q -p no:cacheprovider \
	    tests/integration/test_primary_discovery.py tests/integration/test_shutdown_handover.py \
	    tests/integration/test_fence.py || rc=1; \
	done; \
	K8S_SOAK_ROUNDS=$(K8S_ROUNDS) BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration/test_k8s_harness.py || rc=1; \
	exit $$rc

# Crash soak: kill -9 under an appendfsync-always write load, CRASH_ROUNDS times.
CRASH_ROUNDS ?= 100
soak-persistence: build
	CRASH_ROUNDS=$(CRASH_ROUNDS) BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration/test_persistence_faults.py \
	  -k kill9_under_load

# Synchronous replication: kill -9 of the primary under load, promote, no
# acknowledged write missing, SYNC_ROUNDS times.
SYNC_ROUNDS ?= 50
soak-replication: build
	SYNC_ROUNDS=$(SYNC_ROUNDS) BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server \
	  $(PYTHON) -m pytest -q -p no:cacheprovider tests/integration/test_replication_sync.py \
	  -k kill9

# The container image without a daemon or registry: buildah assembles build/basalt-server,
# its libraries, tini and the entrypoint into an OCI archive, then the archive is unpacked and
# run (chroot, unshare) as a check. Needs root. Not part of `make test`. With a daemon, use the
# Dockerfile instead (docs/operations.md, "The image").
image: build
	@bash scripts/install-deps image
	BASALT_SERVER=$(abspath $(BUILD_DIR))/basalt-server bash scripts/build-image-offline $(abspath $(BUILD_DIR))/basalt-image.oci.tar

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR) $(FUZZ_DIR)
