// Linux file-system magic numbers of <linux/magic.h> (statfs f_type; one definition for the
// whole LibOS).
#pragma once

#include <stdint.h>

namespace libos::uapi {

inline constexpr int64_t RAMFS_MAGIC = 0x858458f6, TMPFS_MAGIC = 0x01021994, PROC_SUPER_MAGIC = 0x9fa0,
                         PIPEFS_MAGIC = 0x50495045, EROFS_SUPER_MAGIC_V1 = 0xe0f5e1e2;

}  // namespace libos::uapi
