// Glob-style pattern matching with the semantics Redis uses for KEYS, SCAN MATCH,
// CONFIG GET, PSUBSCRIBE and ACL key/channel patterns.
//
//   *       any run of bytes, including none
//   ?       exactly one byte
//   [abc]   one byte from the set; [^abc] one byte not in it
//   [a-z]   a range; a reversed range [z-a] means the same as [a-z]
//   \x      the byte x literally (also inside [...]); a trailing lone \ is literal
//
// Corner cases follow redis-server 7.0 (checked against its KEYS replies): an
// unterminated '[' class runs to the end of the pattern, a ']' right after '[' or
// '[^' closes an empty class, and "x-y" is a range whenever two bytes follow x.
// Matching is binary safe (NUL is an ordinary byte).
//
// Work is bounded by O(|pattern| * |str|) whatever the pattern: only the most
// recent '*' is ever backtracked to, so "a*a*a*...b" cannot go exponential.
//
// Thread-safety: a pure function, callable from any thread.
#pragma once

#include <string_view>

namespace basalt {

// True when `str` matches `pattern` in full. With `nocase`, ASCII letters compare
// case-insensitively (ranges included).
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace basalt
