# The two commands the README gives:
#   make app    set up a fresh machine and start the researcher app (SQLite + bundled models)
#   make test   set up (with test tools) and run the whole test suite, as CI does
.PHONY: app test setup setup-test demo eval bench

app: setup
	.venv/bin/interview-miner app

test: setup-test
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 .venv/bin/python -m pytest -q

setup:
	scripts/setup.sh

setup-test:
	scripts/setup.sh --test

# The main job on the project's own generated sample: audio in, persona exports out.
demo: setup
	scripts/make_sample.sh out/sample
	HF_HUB_OFFLINE=1 .venv/bin/interview-miner --help >/dev/null
	HF_HUB_OFFLINE=1 .venv/bin/interview-miner run out/sample --db out/demo.db --out out/demo

eval: setup
	HF_HUB_OFFLINE=1 .venv/bin/interview-miner eval ../shared/data/corpus/dev

bench: setup
	HF_HUB_OFFLINE=1 .venv/bin/python bench/transcribe_bench.py
