// Error replies, byte for byte what Redis 7.0 sends (without the leading '-').
#pragma once

namespace basalt::commands::errors {

inline constexpr char kWrongType[] =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr char kNotInteger[] = "ERR value is not an integer or out of range";
inline constexpr char kNotFloat[] = "ERR value is not a valid float";
inline constexpr char kSyntax[] = "ERR syntax error";
inline constexpr char kOverflow[] = "ERR increment or decrement would overflow";
inline constexpr char kNoSuchKey[] = "ERR no such key";
inline constexpr char kDbIndexOutOfRange[] = "ERR DB index is out of range";
inline constexpr char kSameObject[] = "ERR source and destination objects are the same";
inline constexpr char kStringTooLong[] =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr char kInvalidCursor[] = "ERR invalid cursor";
inline constexpr char kNanOrInf[] = "ERR increment would produce NaN or Infinity";
inline constexpr char kOffsetOutOfRange[] = "ERR offset is out of range";

}  // namespace basalt::commands::errors
