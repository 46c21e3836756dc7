# SPDX-License-Identifier: GPL-2.0
#
# ipsecif: the kernel module, ipsecctl, and the VM-based tests and demo.
#
#   make                 module (against KDIR) and ipsecctl
#   make W=1 C=1         the same with extra warnings and sparse
#   make check [T=NAME[,NAME]] [KERNEL=stock|debug|6.12]
#                        selftests in a qemu VM (installs what it needs)
#   make demo            two namespaces and their ipsecif interfaces, in a VM
#   make bench           ipsecif against xfrm, WireGuard, veth and the AEAD
#                        ceiling in a VM; CSV and chart go to build/bench/
#   make deps            install build/test dependencies, fetch the VM kernel
#   make install         module, ipsecctl, ip's plugin, man page (DESTDIR: staged,
#                        no depmod);  make clean
#   make dkms-install    module source to /usr/src/ipsecif-VERSION, DKMS builds
#                        and installs it for KVER and later kernels (needs dkms)
#   make dkms-uninstall  dkms remove ipsecif/VERSION --all, and the source
#   make deb             ipsecif-dkms and ipsecif-tools .debs in build/deb/
#   make deb-deps        install what make deb and make dkms-install need
#   make check-packaging build, install, check and purge both .debs on this
#                        host (root, apt-get; see Documentation/packaging.rst)

BUILDDIR ?= $(CURDIR)/build
KERNEL ?= stock

# The running kernel's build tree if it has one, else the newest Debian
# amd64 headers installed.
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),\
	     $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))

all: module tools

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: run 'make deps' or set KDIR"; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools/ipsecctl
	$(MAKE) -C tools/iproute2

deps:
	selftests/vm/deps.sh $(BUILDDIR) $(KERNEL)

check: deps
	selftests/vm/check.sh $(BUILDDIR) $(KERNEL) check $(T)

demo: deps
	selftests/vm/check.sh $(BUILDDIR) $(KERNEL) demo

bench: deps
	selftests/vm/check.sh $(BUILDDIR) $(KERNEL) bench

# Debian's header packages say their release only in their directory name.
KVER ?= $(patsubst linux-headers-%,%,$(notdir $(patsubst %/build,%,$(realpath $(KDIR)))))

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=extra CONFIG_MODULE_SIG_ALL= modules_install
	$(MAKE) -C tools/ipsecctl install DESTDIR=$(DESTDIR)
	$(MAKE) -C tools/iproute2 install DESTDIR=$(DESTDIR)
	$(if $(DESTDIR),,depmod -a $(KVER))

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	$(MAKE) -C tools/ipsecctl clean
	$(MAKE) -C tools/iproute2 clean
	$(MAKE) -C selftests/tools clean
	rm -rf $(BUILDDIR)

# Packaging (Documentation/packaging.rst). VERSION is the version of the
# module source, the packages and dkms.conf (whose #MODULE_VERSION# it
# replaces); debian/changelog must name the same.
IPSECIF_VERSION := $(shell cat $(CURDIR)/VERSION)
DKMS_SRCDIR := /usr/src/ipsecif-$(IPSECIF_VERSION)
DEBDIR := $(BUILDDIR)/deb
DEBSRC := $(DEBDIR)/ipsecif-$(IPSECIF_VERSION)
DEB_DEPS := build-essential dpkg-dev debhelper dh-dkms dkms fakeroot \
	    libmnl-dev pkg-config linux-headers-amd64

# What DKMS builds from: Kbuild, the module's sources, the uapi header that
# net/ipsecif/Kbuild finds as $(src)/../../include, dkms.conf and VERSION
# (DESTDIR: staged, as debian/rules does).
dkms-source:
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)
	install -D -m 0644 -t $(DESTDIR)$(DKMS_SRCDIR) Kbuild VERSION
	install -D -m 0644 -t $(DESTDIR)$(DKMS_SRCDIR)/net/ipsecif net/ipsecif/Kbuild \
		$(filter-out %.mod.c,$(wildcard net/ipsecif/*.c)) $(wildcard net/ipsecif/*.h)
	install -D -m 0644 -t $(DESTDIR)$(DKMS_SRCDIR)/include/uapi/linux \
		include/uapi/linux/ipsecif.h
	sed 's/#MODULE_VERSION#/$(IPSECIF_VERSION)/g' dkms.conf \
		>$(DESTDIR)$(DKMS_SRCDIR)/dkms.conf

# Refuses to touch what the ipsecif-dkms package owns.
define no_dkms_package
	@if dpkg-query -W -f='$${Status}\n' ipsecif-dkms 2>/dev/null | grep -q ' installed$$'; then \
		echo "$@: the ipsecif-dkms package is installed; use apt-get, or purge it first" >&2; \
		exit 1; \
	fi
endef

define need_dkms
	@command -v dkms >/dev/null 2>&1 || { \
		echo "$@: needs dkms: apt-get install dkms (or make deb-deps)" >&2; exit 1; }
endef

dkms-install:
	$(need_dkms)
	$(no_dkms_package)
	@test -n "$(KVER)" || { echo "$@: no kernel headers: run 'make deb-deps' or set KDIR" >&2; exit 1; }
	if [ -n "$$(dkms status ipsecif/$(IPSECIF_VERSION))" ]; then \
		dkms remove ipsecif/$(IPSECIF_VERSION) --all; fi
	$(MAKE) dkms-source DESTDIR=
	dkms add ipsecif/$(IPSECIF_VERSION)
	dkms build ipsecif/$(IPSECIF_VERSION) -k $(KVER)
	dkms install ipsecif/$(IPSECIF_VERSION) -k $(KVER)

dkms-uninstall:
	$(need_dkms)
	$(no_dkms_package)
	if [ -n "$$(dkms status ipsecif/$(IPSECIF_VERSION))" ]; then \
		dkms remove ipsecif/$(IPSECIF_VERSION) --all; fi
	rm -rf $(DKMS_SRCDIR)

deb-deps:
	@missing=; for pkg in $(DEB_DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$pkg 2>/dev/null | \
			grep -q '^install ok installed$$' || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deb-deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Builds from a copy of the tree (git's files, tracked or not but not
# ignored; without git, all but .git and build/), never the work tree.
deb:
	@command -v dpkg-buildpackage >/dev/null 2>&1 || { \
		echo "$@: needs dpkg-dev, debhelper and dh-dkms: make deb-deps" >&2; exit 1; }
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); \
	test "$$v" = "$(IPSECIF_VERSION)" || { \
		echo "$@: debian/changelog says $$v, VERSION says $(IPSECIF_VERSION)" >&2; exit 1; }
	rm -rf $(DEBDIR)
	mkdir -p $(DEBSRC)
	if git -C $(CURDIR) rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git -C $(CURDIR) ls-files -z --cached --others --exclude-standard; \
	else \
		find . \( -name .git -o -path ./build \) -prune -o -type f -print0; \
	fi | grep -zv '^$(patsubst $(CURDIR)/%,%,$(BUILDDIR))/' | \
		tar -C $(CURDIR) --null --no-recursion --ignore-failed-read -T - -cf - | \
		tar -C $(DEBSRC) -xf -
	cd $(DEBSRC) && dpkg-buildpackage --build=binary -us -uc
	@ls -1 $(DEBDIR)/*.deb

check-packaging:
	selftests/packaging.sh $(BUILDDIR)

.PHONY: all module tools deps check demo bench install clean
.PHONY: dkms-source dkms-install dkms-uninstall deb-deps deb check-packaging
