# neurond — build, test, run and benchmark. `make help` lists the targets.
#
# Plain `make` builds everything into build/. `make test` and `make run`
# first run `make deps`, which installs missing Debian packages with apt-get.

CC       ?= gcc
# BLAS=onednn builds nn_sgemm (core/blas.c) on oneDNN's dnnl_sgemm
# (libdnnl-dev) instead of OpenBLAS's CBLAS, into build/onednn unless BUILD
# says otherwise; OpenBLAS stays the default. `make test-onednn` runs the
# core tests (nn_sgemm against the naive product included) on it.
BLAS     ?= openblas
ifeq ($(BLAS),onednn)
BUILD    ?= build/onednn
BLAS_CFLAGS := -DNN_BLAS_ONEDNN -fopenmp
BLAS_LIBS   := -ldnnl -fopenmp
else
BUILD    ?= build
BLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null || echo -I/usr/include/x86_64-linux-gnu/openblas-pthread)
BLAS_LIBS   := $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas)
endif
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wvla
# -O3 for the vectoriser's full cost model (-O2's refuses the element-wise
# loops that need alias checks); never -ffast-math, which makes NaN checks lie.
OPT      ?= -O3 -g -fno-math-errno
override CFLAGS += $(OPT) -std=gnu11 $(WARN) -pthread -Icore -I$(BUILD)/gen $(BLAS_CFLAGS) -MMD -MP
LDLIBS   := $(BLAS_LIBS) -lm -pthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Debian packages each step needs; `make deps` installs the missing ones.
# DEPS_NEUROND is what build/neurond alone needs: the Docker image's build
# stage installs only these (`make deps-neurond`), no test or browser tools.
# prometheus is in DEPS_BUILD for promtool, which the metrics tests run.
# libonnx-dev for onnx.proto, which protoc-c compiles for the ONNX export.
DEPS_NEUROND := gcc libc6-dev make pkg-config libopenblas-dev libcsv-dev \
              libmicrohttpd-dev libjansson-dev libyajl-dev libsqlite3-dev \
              libssl-dev zlib1g-dev libprotobuf-c-dev protobuf-c-compiler \
              libonnx-dev libpq-dev
# dataset-fashion-mnist: the API tests upload its IDX files.
# libdnnl-dev: the core tests also run on the BLAS=onednn build.
# postgresql: the store's tests start a private PostgreSQL server
# (tools/pg-private.sh) and run the API suite on it too.
DEPS_BUILD := $(DEPS_NEUROND) libcriterion-dev dataset-fashion-mnist \
              libcurl4-openssl-dev sqlite3 python3-yaml chromium nodejs \
              prometheus python3-onnx libdnnl-dev postgresql
# libblis-dev, libdnnl-dev: the GEMM backends build/gemm-backends compares
# with OpenBLAS (bench only; neurond links OpenBLAS alone).
DEPS_BENCH := dataset-fashion-mnist python3-torch libblis-dev libdnnl-dev
DEPS_FUZZ  := clang libclang-rt-14-dev
DEPS_LOAD  := wrk curl
# `make docker-test`: Debian's Docker engine and client, debootstrap for the
# base image, docker-compose to check and run the compose file, curl and jq
# to drive the API, python3 to pick a free port and subnet, iproute2 for the
# engine's bridge.
DEPS_DOCKER := docker.io debootstrap docker-compose curl jq python3 iproute2

CORE_SRC  := $(wildcard core/*.c core/layers/*.c)
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/%.o)
TEST_SRC  := $(wildcard tests/core/*.c)
TEST_OBJ  := $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_OBJ := $(BENCH_SRC:%.c=$(BUILD)/%.o)
SERVER_SRC := $(wildcard server/*.c server/store/*.c)
SERVER_HDR := $(wildcard server/*.h server/store/*.h)
PQ_INC     := -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
SERVER_INC := -Iserver -Iserver/store $(PQ_INC)
SERVER_GEN := $(BUILD)/gen/migrations_data.c $(BUILD)/gen/pg_migrations_data.c \
              $(BUILD)/gen/openapi_data.c \
              $(BUILD)/gen/web_data.c $(BUILD)/gen/onnx.pb-c.c
WEB_FILES  := $(sort $(wildcard web/*.html web/*.js web/*.css web/*.LICENSE \
                web/docs/*.html web/docs/*.js web/docs/*.css web/docs/*.LICENSE))
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/%.o) $(SERVER_GEN:.c=.o)
SERVER_LIBS := -lmicrohttpd -ljansson -lyajl -lsqlite3 -lpq -lcsv -lcrypto -lz \
               -lprotobuf-c
STORE_TEST_SRC := $(wildcard tests/store/*.c)
STORE_TEST_OBJ := $(STORE_TEST_SRC:%.c=$(BUILD)/%.o)
API_SRC   := $(wildcard tests/api/*.c)
API_OBJ   := $(API_SRC:%.c=$(BUILD)/%.o)

.PHONY: all deps deps-neurond deps-bench docker-test test test-asan test-asan-run test-onednn bench bench-fmnist run demo gpt-step clean help crosscheck \
        fuzz fuzz-build fuzz-check load bench-cluster

all: $(BUILD)/libnn.a $(BUILD)/neurond $(BUILD)/bench-train $(BUILD)/nn-demo $(BUILD)/nn-gpt-step \
     $(BUILD)/test-core $(BUILD)/test-api $(BUILD)/test-store

help:
	@echo "make            build everything into $(BUILD)/"
	@echo "make test       install deps, build, run the unit tests (plain and ASan+UBSan)"
	@echo "make test-asan  the same tests under AddressSanitizer + UBSan"
	@echo "make test-onednn  the libnn tests on the BLAS=onednn build (nn_sgemm on oneDNN)"
	@echo "make run        install deps, build, start neurond on 127.0.0.1:8080"
	@echo "make demo       the seed's classic networks through libnn, printed"
	@echo "make gpt-step   ms per training step of nanoGPT's baby GPT shape, 1 and 2 threads"
	@echo "make bench      Fashion-MNIST training benchmark against PyTorch"
	@echo "make bench-fmnist  Fashion-MNIST IDX upload, dense training, test-set evaluation via the API"
	@echo "make crosscheck a CNN's, rnn/lstm/gru's and a GPT's forward and gradients against PyTorch's"
	@echo "make fuzz       libFuzzer harnesses, FUZZ_SECONDS (60) each"
	@echo "make load       wrk on predictions, idle and while two jobs train"
	@echo "make bench-cluster  1000 jobs through 1-3 nodes on PostgreSQL vs SQLite, failover, predict"
	@echo "make docker-test  build docker/Dockerfile on a private Docker engine, run it, check it"
	@echo "make deps       install missing Debian packages (root)"

# npm ships inside some nodejs builds; Debian's own nodejs needs its npm.
deps:
	@sh tools/install-deps.sh $(DEPS_BUILD)
	@command -v npm >/dev/null 2>&1 || sh tools/install-deps.sh npm

deps-neurond:
	@sh tools/install-deps.sh $(DEPS_NEUROND)

deps-bench:
	@sh tools/install-deps.sh $(DEPS_BUILD) $(DEPS_BENCH)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libnn.a: $(CORE_OBJ)
	ar rcs $@ $^

# migrations/sqlite/*.sql, migrations/postgres/*.sql and api-docs/openapi.yaml
# are compiled into the daemon.
$(BUILD)/gen/migrations_data.c: $(wildcard migrations/sqlite/*.sql) tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh migrations nd_migration $@ $(sort $(wildcard migrations/sqlite/*.sql))

$(BUILD)/gen/pg_migrations_data.c: $(wildcard migrations/postgres/*.sql) tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh migrations nd_pg_migration $@ $(sort $(wildcard migrations/postgres/*.sql))

$(BUILD)/gen/openapi_data.c: api-docs/openapi.yaml tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh blob nd_openapi $@ $<

# The dashboard (web/) is compiled in too: the binary serves it at /, and
# the API docs (web/docs/, Swagger UI) at /docs.
$(BUILD)/gen/web_data.c: $(WEB_FILES) tools/embed.sh
	@mkdir -p $(@D)
	sh tools/embed.sh assets web $@ $(WEB_FILES)

# The spec as JSON, for the spec-walk API test (tests/api/test_spec_walk.c).
$(BUILD)/gen/openapi.json: api-docs/openapi.yaml
	@mkdir -p $(@D)
	/usr/bin/python3 -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' $< $@

# The ONNX export (server/export_onnx.c) writes messages of onnx.proto,
# compiled here by protoc-c from the copy Debian's libonnx-dev installs.
ONNX_PROTO ?= $(firstword $(shell dpkg -L libonnx-dev python3-onnx 2>/dev/null | \
                grep '/onnx\.proto$$') /usr/include/onnx/onnx.proto)
$(BUILD)/gen/onnx.pb-c.c $(BUILD)/gen/onnx.pb-c.h &: $(ONNX_PROTO)
	@mkdir -p $(BUILD)/gen
	protoc-c --proto_path=$(dir $(ONNX_PROTO)) --c_out=$(BUILD)/gen $(ONNX_PROTO)

$(filter-out $(BUILD)/gen/onnx.pb-c.o,$(SERVER_OBJ)): | $(BUILD)/gen/onnx.pb-c.h

$(BUILD)/server/%.o: override CFLAGS += $(SERVER_INC)

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/neurond: $(SERVER_OBJ) $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ $(SERVER_LIBS) $(LDLIBS)

$(BUILD)/asan/neurond: $(SERVER_SRC) $(SERVER_GEN) $(CORE_SRC) $(SERVER_HDR) $(wildcard core/*.h core/layers/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(SERVER_INC) $(SERVER_SRC) $(SERVER_GEN) $(CORE_SRC) -o $@ $(SERVER_LIBS) $(LDLIBS)

$(BUILD)/tests/api/%.o: override CFLAGS += $(PQ_INC)
$(BUILD)/test-api: $(API_OBJ)
	$(CC) $(CFLAGS) $^ -o $@ -lcriterion -lcurl -ljansson -lsqlite3 -lpq -lz -lcrypto -lm -pthread

# The store's driver tests (tests/store/) call db.h directly, so they link
# the server's objects (all but main); they need a PostgreSQL server
# (tools/pg-private.sh run).
$(BUILD)/tests/store/%.o: override CFLAGS += $(SERVER_INC)
$(BUILD)/test-store: $(STORE_TEST_OBJ) $(filter-out $(BUILD)/server/main.o,$(SERVER_OBJ)) $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ -lcriterion $(SERVER_LIBS) $(LDLIBS)

# --model reads its file with the server's own parser, so bench-train links
# the server's objects (all but main).
$(BUILD)/bench/model_file.o: override CFLAGS += $(SERVER_INC)
$(BUILD)/bench-train: $(BENCH_OBJ) $(filter-out $(BUILD)/server/main.o,$(SERVER_OBJ)) $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ -lz $(SERVER_LIBS) $(LDLIBS)

# OpenBLAS, BLIS and oneDNN's sgemm side by side (bench/gemm/): OpenBLAS
# links first, so cblas_sgemm is its, BLIS is called as bli_sgemm.
BLIS_DIR := /usr/include/x86_64-linux-gnu/blis-openmp
$(BUILD)/bench/gemm/gemm_backends.o: override CFLAGS += -Ibench -isystem $(BLIS_DIR)
$(BUILD)/gemm-backends: $(BUILD)/bench/gemm/gemm_backends.o $(BUILD)/bench/gemm_shapes.o         $(BUILD)/bench/model_file.o $(filter-out $(BUILD)/server/main.o,$(SERVER_OBJ)) $(BUILD)/libnn.a
	$(CC) $(CFLAGS) -fopenmp $^ -o $@ $(SERVER_LIBS) $(LDLIBS) 	    -L/usr/lib/x86_64-linux-gnu/blis-openmp -lblis -ldnnl

$(BUILD)/nn-crosscheck: $(BUILD)/tests/crosscheck/dump_cnn.o $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/nn-crosscheck-rnn: $(BUILD)/tests/crosscheck/dump_rnn.o $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/nn-crosscheck-gpt: $(BUILD)/tests/crosscheck/dump_gpt.o $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/nn-crosscheck-optim: $(BUILD)/tests/crosscheck/dump_optim.o $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/nn-demo: $(BUILD)/examples/seed_demo.o $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/nn-gpt-step: $(BUILD)/examples/gpt_step.o $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/test-core: $(TEST_OBJ) $(BUILD)/libnn.a
	$(CC) $(CFLAGS) $^ -o $@ -lcriterion $(LDLIBS)

# The sanitizer build lives in its own tree so the two never mix objects.
$(BUILD)/asan/test-core: $(CORE_SRC) $(TEST_SRC) $(wildcard core/*.h core/layers/*.h tests/core/*.h)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(SAN) $(CORE_SRC) $(TEST_SRC) -o $@ -lcriterion $(LDLIBS)

# `make test` runs the unit tests, then the same tests under ASan + UBSan,
# then the spec's checks (routes against it, Redocly's lint), then the API
# tests against a real neurond — plain, then sanitized, on SQLite; then
# the store's driver tests and the API tests (plain) on PostgreSQL, each
# on a private server of its own (tools/pg-private.sh: initdb into a
# temporary folder, a free loopback port, stopped by its PID at the end,
# also on failure); their spec walk
# sends its calls through Stoplight Prism (tools/prism, installed here with
# its install scripts off: one of its packages reports installs), and the
# export tests run exported models in onnx.checker, onnxruntime-node
# (tools/onnx-check) and gcc — then
# the dashboard in headless Chromium (tests/browser, node --test), and
# closes with one line adding up every suite.
LOGS := $(BUILD)/test-logs
test: deps
	@$(MAKE) --no-print-directory $(BUILD)/test-core $(BUILD)/asan/test-core \
	    $(BUILD)/neurond $(BUILD)/asan/neurond $(BUILD)/test-api $(BUILD)/test-store \
	    $(BUILD)/gen/openapi.json $(BUILD)/bench-train $(BUILD)/nn-demo $(BUILD)/nn-gpt-step
	@rm -rf $(LOGS) $(BUILD)/asan/server-reports.log
	sh tools/run-logged.sh $(LOGS)/core.log $(BUILD)/test-core --jobs 2
	sh tools/run-logged.sh $(LOGS)/core-asan.log $(MAKE) --no-print-directory test-asan-run
	sh tools/run-logged.sh $(LOGS)/core-onednn.log $(MAKE) --no-print-directory test-onednn
	/usr/bin/python3 tools/check-openapi.py
	cd tools/openapi-lint && npm ci --no-audit --no-fund --silent && npm run --silent lint
	cd tools/prism && npm ci --ignore-scripts --no-audit --no-fund --silent
	@$(MAKE) --no-print-directory fuzz-check
	cd tools/onnx-check && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund --silent
	NEUROND_BIN=$(BUILD)/neurond NEUROND_OPENAPI_JSON=$(BUILD)/gen/openapi.json \
	    sh tools/run-logged.sh $(LOGS)/api.log \
	    $(BUILD)/test-api --jobs 2
	NEUROND_BIN=$(BUILD)/asan/neurond NEUROND_REPORTS=$(BUILD)/asan/server-reports.log \
	    NEUROND_OPENAPI_JSON=$(BUILD)/gen/openapi.json \
	    sh tools/run-logged.sh $(LOGS)/api-asan.log $(BUILD)/test-api --jobs 2
	@if [ -s $(BUILD)/asan/server-reports.log ]; then \
	    echo "sanitizer reports from neurond:"; cat $(BUILD)/asan/server-reports.log; exit 1; fi
	sh tools/run-logged.sh $(LOGS)/store-pg.log \
	    sh tools/pg-private.sh run $(BUILD)/test-store --jobs 2
	NEUROND_TEST_DB=postgres NEUROND_BIN=$(BUILD)/neurond \
	    NEUROND_OPENAPI_JSON=$(BUILD)/gen/openapi.json \
	    sh tools/run-logged.sh $(LOGS)/api-pg.log \
	    sh tools/pg-private.sh run $(BUILD)/test-api --jobs 2
	cd tests/browser && npm ci --no-audit --no-fund --silent
	NEUROND_BIN=$(BUILD)/neurond SCREENSHOT=$(BUILD)/dashboard.png sh tools/run-logged.sh \
	    $(LOGS)/browser.log sh -c 'cd tests/browser && node --test'
	@sh tools/test-summary.sh $(LOGS)/*.log

test-asan: deps
	@$(MAKE) --no-print-directory $(BUILD)/asan/test-core
	@$(MAKE) --no-print-directory test-asan-run

# The core tests on the oneDNN build (BLAS=onednn, build/onednn): nn_sgemm
# against the naive product for every transpose and odd size, each layer's
# gradients, determinism, as on OpenBLAS.
test-onednn:
	@sh tools/install-deps.sh $(DEPS_BUILD)
	@$(MAKE) --no-print-directory BLAS=onednn BUILD=build/onednn build/onednn/test-core
	build/onednn/test-core --jobs 2

# Criterion runs each test in a child process whose sanitizer reports do not
# change the exit status, so the log is searched for them as well.
test-asan-run:
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    $(BUILD)/asan/test-core --jobs 2 > $(BUILD)/asan/test.log 2>&1; \
	    rc=$$?; tail -n 20 $(BUILD)/asan/test.log; \
	    if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:' $(BUILD)/asan/test.log; then \
	        echo "sanitizer reports in $(BUILD)/asan/test.log"; exit 1; fi; \
	    exit $$rc

# libFuzzer harnesses (clang, ASan + UBSan) of the parsers and the router,
# each linked with the whole server but main.c; `make fuzz` runs each for
# FUZZ_SECONDS from its seed corpus in tests/fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_NAMES := model_def dataset_json csv_ingest idx_ingest router json_body
FUZZ_BINS  := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_CFLAGS := -g -O1 -std=gnu11 -Wall -Wextra -pthread -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Icore $(SERVER_INC) -Itests/fuzz -I$(BUILD)/gen $(BLAS_CFLAGS)
FUZZ_SRC := $(filter-out server/main.c,$(SERVER_SRC)) $(SERVER_GEN) $(CORE_SRC) \
    tests/fuzz/fuzz_support.c

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRC) $(SERVER_HDR) $(wildcard core/*.h core/layers/*.h tests/fuzz/*.h)
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) $< $(FUZZ_SRC) -o $@ $(SERVER_LIBS) $(LDLIBS)

fuzz-build:
	@sh tools/install-deps.sh $(DEPS_BUILD) $(DEPS_FUZZ)
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# What `make test` checks of the harnesses, cheaply and without clang:
# that they still compile against the server's headers.
fuzz-check:
	$(CC) $(filter-out -MMD -MP,$(CFLAGS)) $(SERVER_INC) -Itests/fuzz -fsyntax-only \
	    $(wildcard tests/fuzz/*.c)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) sh tools/fuzz-run.sh $(BUILD) $(FUZZ_NAMES)

# Predictions under wrk on loopback, idle and while two jobs train.
LOAD_SECONDS ?= 10
load:
	@sh tools/install-deps.sh $(DEPS_BUILD) $(DEPS_LOAD)
	@$(MAKE) --no-print-directory $(BUILD)/neurond
	LOAD_SECONDS=$(LOAD_SECONDS) sh bench/load.sh $(BUILD)/neurond

# The cluster on a private PostgreSQL server (bench/cluster.py): job
# rates through 1, 2 and 3 nodes against one on SQLite, failover time
# against --lease-ms, predictions through one node and three; loopback.
bench-cluster:
	@sh tools/install-deps.sh $(DEPS_BUILD) $(DEPS_LOAD)
	@$(MAKE) --no-print-directory $(BUILD)/neurond
	nice python3 bench/cluster.py --bin $(BUILD)/neurond

# The image in docker/ built and run on a Docker engine of its own
# (tools/docker-test.sh): the README's session against the container through
# a port published on loopback, data kept across a new container, non-root,
# health check; docker/compose.yaml up, its restart policy and named volume;
# docker/compose.cluster.yaml run: PostgreSQL, three nodes and nginx, the
# session through nginx, a node killed mid-job, malformed and slow
# clients; then all torn down.
docker-test:
	@sh tools/install-deps.sh $(DEPS_DOCKER)
	BUILD=$(BUILD) bash tools/docker-test.sh

run: deps
	@$(MAKE) --no-print-directory $(BUILD)/neurond
	$(BUILD)/neurond --bind 127.0.0.1 --port 8080 --db ./data/neurond.db

# libnn against PyTorch (Debian python3-torch) with the same weights: a
# CNN's outputs, loss, gradients and batchnorm statistics, rnn, lstm and
# gru against nn.RNN, nn.LSTM and nn.GRU, and a two-block GPT against a
# nanoGPT-style model, within 1e-4.
crosscheck:
	@sh tools/install-deps.sh $(DEPS_BUILD) python3-torch
	@$(MAKE) --no-print-directory $(BUILD)/nn-crosscheck $(BUILD)/nn-crosscheck-rnn \
	    $(BUILD)/nn-crosscheck-gpt $(BUILD)/nn-crosscheck-optim
	/usr/bin/python3 tests/crosscheck/torch_crosscheck.py $(BUILD)/nn-crosscheck
	/usr/bin/python3 tests/crosscheck/torch_crosscheck_rnn.py $(BUILD)/nn-crosscheck-rnn
	/usr/bin/python3 tests/crosscheck/torch_crosscheck_gpt.py $(BUILD)/nn-crosscheck-gpt
	/usr/bin/python3 tests/crosscheck/torch_crosscheck_optim.py $(BUILD)/nn-crosscheck-optim

demo:
	@$(MAKE) --no-print-directory $(BUILD)/nn-demo
	$(BUILD)/nn-demo

# One training step of nanoGPT's baby GPT shape through libnn, 1 and 2
# threads (examples/gpt_step.c).
gpt-step:
	@$(MAKE) --no-print-directory $(BUILD)/nn-gpt-step
	$(BUILD)/nn-gpt-step

bench: deps-bench
	@$(MAKE) --no-print-directory $(BUILD)/bench-train $(BUILD)/neurond $(BUILD)/gemm-backends
	sh bench/run-bench.sh $(BUILD)/bench-train
	$(BUILD)/gemm-backends
	BIN=$(BUILD) sh bench/api-vs-core.sh

# Fashion-MNIST through the API: IDX uploads (time, peak RSS), a dense
# 784-256-128-10 trained for EPOCHS (10), evaluated on the test set.
bench-fmnist: deps
	@$(MAKE) --no-print-directory $(BUILD)/neurond
	BIN=$(BUILD) EPOCHS=$(or $(EPOCHS),10) sh bench/fmnist-evaluate.sh

clean:
	rm -rf $(BUILD)

-include $(CORE_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BENCH_OBJ:.o=.d) $(SERVER_OBJ:.o=.d) \
    $(API_OBJ:.o=.d) $(STORE_TEST_OBJ:.o=.d)
