// ASCII string helpers shared by every layer (command names, keywords and
// directive values are compared case-insensitively, as Redis does).
// Thread-safety: pure functions.
#pragma once

#include <string_view>

namespace basalt {

// Whether a and b are equal ignoring ASCII case (no locale).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x + ('a' - 'A'));
    if (y >= 'A' && y <= 'Z') y = char(y + ('a' - 'A'));
    if (x != y) return false;
  }
  return true;
}

}  // namespace basalt
