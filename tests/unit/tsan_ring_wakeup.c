// SPDX-License-Identifier: MIT
/* Notification suppression under ThreadSanitizer; test_ring_wakeup.c runs it under ASan. */
#include "ring_wakeup.h"

int main(void)
{
	return ring_wakeup_main("ring_wakeup(tsan)");
}
