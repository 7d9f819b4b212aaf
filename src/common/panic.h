// Panic: the server stops at once after logging why, for conditions where
// going on would serve data known to be wrong (Redis's serverPanic: a
// replica's stream or the AOF failing under propagation-error-behavior panic,
// a replica unable to persist its primary's writes). Any thread.
#pragma once

#include <string_view>

namespace basalt {

// Logs `why` at warning level in the Redis panic layout, then aborts.
[[noreturn]] void Panic(std::string_view why);

}  // namespace basalt
