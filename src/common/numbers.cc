#include "common/numbers.h"

#include <cerrno>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace basalt {

std::optional<int64_t> ParseInt64(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  if (s.size() == 1 && s[0] == '0') return 0;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return std::nullopt;
  }
  if (s[i] < '1' || s[i] > '9') return std::nullopt;
  uint64_t v = 0;
  for (; i < s.size(); i++) {
    char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (UINT64_MAX - uint64_t(c - '0')) / 10) return std::nullopt;
    v = v * 10 + uint64_t(c - '0');
  }
  if (neg) {
    if (v > uint64_t(INT64_MAX) + 1) return std::nullopt;
    return int64_t(0 - v);
  }
  if (v > uint64_t(INT64_MAX)) return std::nullopt;
  return int64_t(v);
}

std::optional<int64_t> ParseInt64InRange(std::string_view s, int64_t lo, int64_t hi) {
  auto v = ParseInt64(s);
  if (!v || *v < lo || *v > hi) return std::nullopt;
  return v;
}

namespace {
// strtod/strtold need a NUL-terminated copy; arguments are short in practice.
template <typename T, typename Fn>
std::optional<T> ParseFloating(std::string_view s, Fn fn) {
  if (s.empty() || s.size() > 5000) return std::nullopt;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  char stackbuf[128];
  std::string heap;
  char* buf = stackbuf;
  if (s.size() >= sizeof(stackbuf)) {
    heap.assign(s);
    buf = heap.data();
  } else {
    memcpy(stackbuf, s.data(), s.size());
    stackbuf[s.size()] = '\0';
  }
  char* end = nullptr;
  errno = 0;
  T v = fn(buf, &end);
  // Redis rejects overflow and underflow to zero, but keeps denormals.
  bool range_error = errno == ERANGE && (std::isinf(v) || v == 0);
  if (end != buf + s.size() || range_error || std::isnan(v)) return std::nullopt;
  return v;
}
}  // namespace

std::optional<double> ParseDouble(std::string_view s) {
  return ParseFloating<double>(s, [](const char* b, char** e) { return strtod(b, e); });
}

std::optional<long double> ParseLongDouble(std::string_view s) {
  return ParseFloating<long double>(s, [](const char* b, char** e) { return strtold(b, e); });
}

std::optional<std::string> FormatLongDoubleHuman(long double v) {
  if (std::isinf(v)) return std::string(v > 0 ? "inf" : "-inf");
  char buf[5 * 1024];
  int n = snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n < 0 || size_t(n) + 1 > sizeof(buf)) return std::nullopt;
  size_t len = size_t(n);
  if (memchr(buf, '.', len) != nullptr) {
    while (len > 0 && buf[len - 1] == '0') len--;
    if (len > 0 && buf[len - 1] == '.') len--;
  }
  if (len == 2 && buf[0] == '-' && buf[1] == '0') return std::string("0");
  return std::string(buf, len);
}

size_t FormatInt64(int64_t v, char* buf) {
  auto r = std::to_chars(buf, buf + 21, v);
  return size_t(r.ptr - buf);
}

}  // namespace basalt
