# SPDX-License-Identifier: GPL-2.0
#
# ipsecif: the kernel module, ipsecctl, and the VM-based tests and demo.
#
#   make                 module (against KDIR) and ipsecctl
#   make W=1 C=1         the same with extra warnings and sparse
#   make check [T=NAME[,NAME]] [KERNEL=stock|debug]
#                        selftests in a qemu VM (installs what it needs)
#   make demo            two namespaces and their ipsecif interfaces, in a VM
#   make bench           ipsecif against xfrm, WireGuard, veth and the AEAD
#                        ceiling in a VM; CSV and chart go to build/bench/
#   make deps            install build/test dependencies, fetch the VM kernel
#   make install         module, ipsecctl, ip's plugin, man page (DESTDIR: staged,
#                        no depmod);  make clean

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

.PHONY: all module tools deps check demo bench install clean
