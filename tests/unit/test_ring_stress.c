// SPDX-License-Identifier: MIT
/* The ring stress under ASan/UBSan; the same run under TSan is tsan_ring_stress.c. */
#include "ring_stress.h"

int main(void)
{
	return ring_stress_main("ring_stress(asan)");
}
