#!/bin/sh
# SPDX-License-Identifier: MIT
# make bench-pin, where net.sh runs (a host with VMX/SVM, else the rig's L1): net.sh for snvmm
# and QEMU vhost=on, each as it comes and with the vCPU and the packet worker pinned to different
# CPUs (net.sh's "-pin" variants).
cd "$(dirname "$0")/../.." || exit 1
BENCH_NET_VMMS="snvmm snvmm-pin qemu-vhost-on qemu-vhost-on-pin" exec sh tests/bench/net.sh
