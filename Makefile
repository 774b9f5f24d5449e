# The front door. `make` lists the targets; `make check` is what CI runs.
SHELL := /bin/bash
PY := /usr/bin/python3
# pyenv's python3 cannot see Debian's python3-* packages: build with a clean PATH.
CLEAN_ENV := env PATH=/usr/sbin:/usr/bin:/sbin:/bin
VERSION := $(shell sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
DEB := dist/timelapse_$(VERSION)_all.deb
# NOCHECK=1: build without the test run and without the test-only build dependencies.
# One word: dpkg-buildpackage refuses `-P nocheck` (apt-get build-dep and dpkg-checkbuilddeps take both).
PROFILE := $(if $(NOCHECK),-Pnocheck)
# What the tests need beyond the build dependencies in debian/control.
TEST_PACKAGES := faketime python3-pyflakes lintian debootstrap systemd-container man-db python3-systemd dpkg-dev python3-pip rclone strace ffmpeg mosquitto python3-aiosmtpd python3-paho-mqtt prometheus fonts-dejavu-core
PYTEST := $(CLEAN_ENV) $(PY) -m pytest -p no:cacheprovider

.PHONY: help build-deps deps test check check-arm64 deb lint package-test install demo bench bench-smoke clean

help:
	@echo "make deps          install build and test dependencies (root; build-deps: only what building needs)"
	@echo "make test          pyflakes, then the fast test suite (unit and integration, no root needed)"
	@echo "make check         everything CI runs: tests, .deb build, lintian, package tests on bookworm and"
	@echo "                   trixie roots (root; the README's install, the suite on trixie), bench smoke"
	@echo "make check-arm64   the .deb on a trixie arm64 root under qemu-user-static (root; slow, not in check)"
	@echo "make lint          lintian on the .deb"
	@echo "make deb           build $(DEB)"
	@echo "make install       build the .deb and apt install it; the service starts (root)"
	@echo "make demo          run the daemon from this tree with the synthetic camera into ./demo/"
	@echo "make bench         measure the performance targets; writes bench/results.json"
	@echo "make clean         remove build output"

# Build dependencies come from debian/control (apt-get build-dep); the test tools on top.
build-deps:
	@if ! command -v dpkg-checkbuilddeps >/dev/null; then \
	  if [ "$$(id -u)" != 0 ]; then echo "run: sudo apt-get install -y dpkg-dev"; exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dpkg-dev; fi
	@if ! $(CLEAN_ENV) dpkg-checkbuilddeps $(PROFILE) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" != 0 ]; then echo "run: sudo apt-get build-dep -y $(PROFILE) ."; exit 1; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q $(PROFILE) .; fi

deps: build-deps
	@missing=; for p in $(TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "run: sudo apt-get install -y$$missing"; exit 1; fi; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; fi

test: deps
	$(CLEAN_ENV) $(PY) -m pyflakes timelapse tests bench
	$(PYTEST) -q tests --ignore=tests/package

deb: build-deps $(DEB)

$(DEB): $(shell git ls-files 2>/dev/null | grep -v '^tests/package/' || find timelapse debian -type f)
	rm -f ../timelapse_$(VERSION)_*
	$(CLEAN_ENV) DEB_BUILD_OPTIONS="$(if $(NOCHECK),nocheck)" dpkg-buildpackage -us -uc -b $(PROFILE)
	mkdir -p dist
	mv ../timelapse_$(VERSION)_all.deb ../timelapse_$(VERSION)_*.buildinfo ../timelapse_$(VERSION)_*.changes dist/

lint: deps $(DEB)
	lintian --fail-on error,warning --no-tag-display-limit $(DEB)

# Debootstrap roots of bookworm and trixie (cached in /var/cache/timelapse-test): the README's
# install, install/boot/upgrade/purge of the .deb on each, the suite and lintian on trixie.
package-test: deps $(DEB)
	@[ "$$(id -u)" = 0 ] || { echo "package tests need root (chroot, systemd-nspawn): sudo make package-test"; exit 1; }
	TIMELAPSE_DEB=$(CURDIR)/$(DEB) $(PYTEST) -v -rP --durations=0 tests/package --ignore=tests/package/test_arm64.py

# The Pi's architecture, emulated: slow, so not part of `make check`.
check-arm64: deps $(DEB)
	@[ "$$(id -u)" = 0 ] || { echo "the arm64 check needs root (debootstrap, binfmt_misc): sudo make check-arm64"; exit 1; }
	@dpkg-query -W -f='$${Status}' qemu-user-static 2>/dev/null | grep -q 'ok installed' || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-user-static
	TIMELAPSE_DEB=$(CURDIR)/$(DEB) $(PYTEST) -v -rP --durations=0 tests/package/test_arm64.py

# The .deb build runs the suite again, under Debian's interpreter from the build tree;
# package-test includes lintian.
check: test deb package-test bench-smoke

# The build-time test run is skipped here (NOCHECK), and so are the test tools (the nocheck
# profile: no browser, ffmpeg or rclone just to build): `make check` runs everything.
install:
	@[ "$$(id -u)" = 0 ] || { echo "run: sudo make install"; exit 1; }
	$(MAKE) NOCHECK=1 build-deps
	$(MAKE) NOCHECK=1 $(DEB)
	DEBIAN_FRONTEND=noninteractive apt-get install -y ./$(DEB)

demo:
	$(CLEAN_ENV) $(PY) bench/demo.py

bench: deps
	$(CLEAN_ENV) $(PY) bench/bench.py

bench-smoke:
	$(CLEAN_ENV) $(PY) bench/bench.py --smoke

clean:
	rm -rf dist demo .pybuild debian/timelapse debian/.debhelper debian/files debian/*.substvars debian/debhelper-build-stamp build *.egg-info
