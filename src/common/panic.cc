#include "common/panic.h"

#include <cstdlib>
#include <string>

#include "common/logging.h"

namespace basalt {

void Panic(std::string_view why) {
  std::string msg(why);
  Log(LogLevel::kWarning, "------------------------------------------------");
  Log(LogLevel::kWarning, "!!! Software Failure. Press left mouse button to continue");
  Log(LogLevel::kWarning, "Guru Meditation: %s", msg.c_str());
  std::abort();
}

}  // namespace basalt
