// SplitArgs: splits one line into arguments the way redis-server splits inline
// commands and redis.conf lines.
//
// Rules (checked against redis-server 7.0.15):
//   - Arguments are separated by whitespace (space, \t, \n, \v, \f, \r). A bare
//     argument ends only at space, \t, \n or \r, so \v and \f inside one are kept.
//   - "double quoted" parts understand \n \r \t \b \a, \xHH (exactly two hex
//     digits, either case) and \<any other byte> meaning that byte.
//   - 'single quoted' parts understand only \' ; every other byte is literal.
//   - Quotes may start in the middle of a bare argument (a"b c" -> `ab c`), but a
//     closing quote must be followed by whitespace or the end of the line.
//   - A line ends at its first NUL byte, as Redis reads it as a C string.
// Returns nullopt for unbalanced quotes or a closing quote followed by something
// else; an empty or blank line gives an empty vector.
//
// Thread-safety: a pure function.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace basalt {

std::optional<std::vector<std::string>> SplitArgs(std::string_view line);

// The inverse: s in double quotes with \\ \" \n \r \t \a \b escaped and
// other bytes outside 0x20..0x7e as \xHH (Redis's sdscatrepr), as written in
// rewritten config files and AOF manifests.
std::string QuoteArg(std::string_view s);

}  // namespace basalt
