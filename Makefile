# The two commands of the README, and a few more for developers.
#   make demo   install what is missing, build, run the demo on the embedded defaults
#   make test   install what is missing, build, run every test (what CI runs)
.PHONY: all setup build test demo bench fuzz asan clean

all: build

setup:
	@bash scripts/setup.sh

build: setup
	@bash scripts/build.sh

test: setup
	@bash scripts/test.sh

demo: build
	@bash scripts/demo.sh

bench: build
	@./build/bench/lint_bench
	@bash bench/backup.sh

fuzz: setup
	@bash scripts/fuzz.sh 60

asan: setup
	@BUILD_DIR=build-asan SLIPWAY_SANITIZE=address,undefined bash scripts/build.sh

clean:
	rm -rf build build-asan build-fuzz
