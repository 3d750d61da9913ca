// How an instance was started (shown by `shoal ps`, a label of
// shoal_cold_start_duration_seconds): booted from its image, resumed from a
// snapshot by a new monitor, or resumed by a warm monitor that was waiting.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace shoal::pool {

enum class StartKind : uint8_t { boot, snapshot, warm };
inline constexpr size_t kStartKinds = 3;
const char* to_string(StartKind kind);

}  // namespace shoal::pool
