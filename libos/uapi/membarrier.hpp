// Linux x86-64 numbers of <linux/membarrier.h> (one definition for the whole LibOS).
#pragma once

namespace libos::uapi {

enum : int {
  MEMBARRIER_CMD_QUERY = 0, MEMBARRIER_CMD_GLOBAL = 1, MEMBARRIER_CMD_GLOBAL_EXPEDITED = 2,
  MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED = 4, MEMBARRIER_CMD_PRIVATE_EXPEDITED = 8,
  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED = 16,
};

}  // namespace libos::uapi
