// SPDX-License-Identifier: MIT
/* The built-in devices, in the order they are set up (and, reversed, torn down). */
#include "device.h"

extern const struct device_ops serial_device;
extern const struct device_ops power_device;
extern const struct device_ops net_device;

const struct device_ops *const builtin_devices[] = {
    &serial_device,
    &power_device,
    &net_device,
    NULL,
};
