// Number parsing and formatting with Redis's exact acceptance rules, so that
// "not an integer" and "not a valid float" errors fire on the same inputs.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace basalt {

// Strict signed 64-bit parse: optional '-', digits, no leading zeros (except
// "0" itself), no '+', no spaces, no overflow. The rule Redis uses for every
// integer argument and for choosing the integer encoding of a string.
std::optional<int64_t> ParseInt64(std::string_view s);
// As ParseInt64, then range-checked to [lo, hi].
std::optional<int64_t> ParseInt64InRange(std::string_view s, int64_t lo, int64_t hi);

// Parses a double as Redis's getDoubleFromObject: strtod over the whole
// argument, no leading space, no NaN, no overflow.
std::optional<double> ParseDouble(std::string_view s);
// As ParseDouble but with long double precision (INCRBYFLOAT).
std::optional<long double> ParseLongDouble(std::string_view s);

// Formats a long double the way INCRBYFLOAT stores it: fixed notation with 17
// fractional digits, trailing zeros and a trailing dot removed, "-0" as "0".
// Returns nullopt when the text would be unreasonably long.
std::optional<std::string> FormatLongDoubleHuman(long double v);

// Formats an integer into buf (at least 21 bytes); returns the length.
size_t FormatInt64(int64_t v, char* buf);

}  // namespace basalt
