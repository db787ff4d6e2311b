# The two commands of the README: `make run` and `make test`. Everything else is a step of them.
.PHONY: setup run test test-fast bench train clean

setup:
	@bash scripts/setup.sh

run: setup
	@.venv/bin/madoguchi run

test:
	@bash scripts/setup.sh --test
	@bash scripts/run_tests.sh

# Without the end-to-end tests that start Rasa (quicker while developing).
test-fast:
	@bash scripts/setup.sh --test
	@.venv/bin/python -m pytest -m "not e2e" $(ARGS)

bench: setup
	@.venv/bin/python -m benchmarks.nlu_cv
	@.venv/bin/python -m benchmarks.faq_quality
	@.venv/bin/python -m benchmarks.faq_bench
	@.venv/bin/python -m benchmarks.docs_bench
	@.venv/bin/python -m benchmarks.dialogue_bench

train:
	@.venv/bin/madoguchi train

clean:
	rm -rf var models results .pytest_cache
