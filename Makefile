# Drivetime — the two commands (`make demo`, `make test`) and `make bench`.
# Each target installs what it needs on a fresh Debian machine and is quick to re-run.

# Debian's own Python 3.11, the interpreter the unit runs (Raspberry Pi OS bookworm is Debian 12),
# built with PGO and LTO; not whichever python3 comes first on PATH (on the build VMs, a pyenv
# build without those, on which the engine's start-up took 20 % more CPU; docs/performance.md).
PYTHON ?= /usr/bin/python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make
APT_PACKAGES := libopus0 portaudio19-dev icecast2 opus-tools ffmpeg mpv sox alsa-utils \
	libgl1-mesa-dri libegl1 libmtdev1 xvfb xauth python3.11-venv python3.11-dev gcc \
	fonts-dejavu-core fonts-wqy-microhei fonts-droid-fallback shellcheck systemd
PYTEST_ARGS ?=

.PHONY: demo test bench screenshots lint deps venv clean

# The rooms live on a private Icecast and the unit (`drivetime-unit run`: engine + touchscreen)
# playing the first. The screen is a window on $DISPLAY, else rendered offscreen (no X needed);
# either way it is saved to /tmp/drivetime-demo-screens/now.png every 2 s (the demo prints it).
demo: venv
	$(BIN)/python -m studio demo

test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv
	$(BIN)/python -m tests.bench

# Every screen in both themes at 800x480, 1024x600 and 1280x720, rendered offscreen; and the
# phone app's screens at 1080x2340.
screenshots: venv
	$(BIN)/python -m device.ui.screenshots docs/screenshots
	$(BIN)/python -m host.app.screenshots docs/screenshots

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

deps: $(STAMPS)/apt

venv: $(STAMPS)/venv

# Debian packages: install only what is missing, so a re-run costs one dpkg query.
$(STAMPS)/apt: Makefile
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@touch $@

# A venv made from another interpreter (an older checkout's) is made again.
$(STAMPS)/venv: pyproject.toml $(STAMPS)/apt
	python=$$(readlink -f "$$(command -v $(PYTHON))"); \
	grep -qx "executable = $$python" $(VENV)/pyvenv.cfg 2>/dev/null \
		|| { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[device,host,hw,dev]'
	@touch $@

clean:
	rm -rf $(VENV) $(STAMPS) bench-results.json
