// SPDX-License-Identifier: MIT
/* Notification suppression under ASan/UBSan; tsan_ring_wakeup.c runs it under TSan. */
#include "ring_wakeup.h"

int main(void)
{
	return ring_wakeup_main("ring_wakeup(asan)");
}
