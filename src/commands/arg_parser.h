// ArgParser: walks a command's arguments after the fixed ones: typed Next<T>(),
// case-insensitive keywords, and Redis's error texts for what does not parse.
// The first failure is recorded and later calls return defaults, so a handler
// parses straight through and checks ok() once:
//
//   ArgParser p(ctx.args, 3);
//   while (p.HasNext()) {
//     if (p.remaining() >= 2 && p.Check("COUNT")) count = p.Next<int64_t>();
//     else p.Fail(errors::kSyntax);
//   }
//   if (!p.ok()) return ctx.Error(p.error());
//
// Also the one parser of SCAN/HSCAN/SSCAN/ZSCAN's options.
// Thread-safety: a value type, used by one handler at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "commands/errors.h"
#include "common/glob.h"
#include "common/numbers.h"
#include "common/strings.h"

namespace basalt::commands {

struct CommandContext;

class ArgParser {
 public:
  ArgParser(std::span<const std::string_view> args, size_t pos) : args_(args), pos_(pos) {}

  bool HasNext() const { return ok() && pos_ < args_.size(); }
  size_t remaining() const { return pos_ < args_.size() ? args_.size() - pos_ : 0; }
  // Consumes the next argument if it is `keyword` (any case).
  bool Check(std::string_view keyword) {
    if (!HasNext() || !EqualsIgnoreCase(args_[pos_], keyword)) return false;
    pos_++;
    return true;
  }
  // The next argument as T: std::string_view, int64_t (ERR value is not an
  // integer...) or double (ERR value is not a valid float). A missing
  // argument is a syntax error.
  template <typename T>
  T Next();

  // Records `error` unless an earlier one is recorded.
  void Fail(std::string_view error) {
    if (error_.empty()) error_ = error;
  }
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  bool Take(std::string_view* out) {
    if (!HasNext()) {
      Fail(errors::kSyntax);
      return false;
    }
    *out = args_[pos_++];
    return true;
  }

  std::span<const std::string_view> args_;
  size_t pos_;
  std::string error_;
};

template <>
inline std::string_view ArgParser::Next<std::string_view>() {
  std::string_view s;
  Take(&s);
  return s;
}

template <>
inline int64_t ArgParser::Next<int64_t>() {
  std::string_view s;
  if (!Take(&s)) return 0;
  auto v = ParseInt64(s);
  if (!v) Fail(errors::kNotInteger);
  return v.value_or(0);
}

template <>
inline double ArgParser::Next<double>() {
  std::string_view s;
  if (!Take(&s)) return 0;
  auto v = ParseDouble(s);
  if (!v) Fail(errors::kNotFloat);
  return v.value_or(0);
}

// [MATCH pattern] [COUNT count] and, for SCAN, [TYPE type].
struct ScanOptions {
  int64_t count = 10;
  std::string_view pattern;  // empty: every element
  std::string_view type;     // SCAN's TYPE; empty: every type

  bool Matches(std::string_view s) const {
    return pattern.empty() || pattern == "*" || GlobMatch(pattern, s);
  }
};

// Parses the options from args[pos] on, as Redis 7.0: a COUNT that is not an
// integer is "ERR value is not an integer or out of range", COUNT < 1 and
// anything unknown (or TYPE where allow_type is false) a syntax error. On
// error replies and returns false.
bool ParseScanOptions(CommandContext& ctx, size_t pos, bool allow_type, ScanOptions* out);

}  // namespace basalt::commands
