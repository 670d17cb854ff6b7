// SPDX-License-Identifier: MIT
/* The ring stress under ThreadSanitizer; the same run under ASan is test_ring_stress.c. */
#include "ring_stress.h"

int main(void)
{
	return ring_stress_main("ring_stress(tsan)");
}
