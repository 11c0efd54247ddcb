# dockerops.host: everything runs from here on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help lab demo demo-clean test lint unit mutation tools build molecule bench sanity mutation-all

help:
	@echo "make demo   - provision a throwaway local test host and converge it with the site playbook"
	@echo "make test   - set up the lab and run every test suite (what CI runs)"
	@echo "make lint | unit | mutation | tools | build | sanity | molecule - one suite (after make lab; unit runs without it)"
	@echo "make mutation-all - the full mutation run (about an hour), rewrites tests/mutation/baseline.json"
	@echo "make bench  - benchmarks (not part of make test): table in docs/performance.md, JSON in tests/bench/results.json"

lab:
	bash tests/lab/setup.sh

demo: lab
	bash tests/demo.sh

demo-clean:
	bash tests/demo.sh --clean

test: lab
	bash tests/run-tests.sh

lint unit mutation tools build sanity molecule:
	bash tests/run-tests.sh $@

mutation-all: lab
	source .cache/lab.env && python tests/mutation/mutation.py --all

bench: lab
	source .cache/lab.env && python tests/bench/bench.py --doc
