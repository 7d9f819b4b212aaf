// ASCII string helpers shared by every layer (command names, keywords and
// directive values are compared case-insensitively, as Redis does).
// Thread-safety: pure functions.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

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

// At most `max` bytes of s, cut at the first NUL as C string formatting cuts
// (Redis builds some error texts and log lines that way).
inline std::string CStringPrefix(std::string_view s, size_t max) {
  s = s.substr(0, std::min(s.size(), max));
  return std::string(s.substr(0, std::min(s.size(), s.find('\0'))));
}

// The words of s separated by single spaces; empty words are dropped.
inline std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(' ', i);
    if (j == std::string_view::npos) j = s.size();
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

}  // namespace basalt
