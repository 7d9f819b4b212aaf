#include "protocol/request_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <optional>

#include "common/split_args.h"

namespace basalt::protocol {
namespace {

// Redis's PROTO_INLINE_MAX_SIZE: how many unconsumed bytes may wait for the end
// of an inline line or of a header line before the request is refused.
constexpr size_t kInlineMaxSize = 64 * 1024;
// Before AUTH, Redis refuses requests that could make it buffer much memory.
constexpr int64_t kMaxUnauthArgs = 10;
constexpr int64_t kMaxUnauthBulkLen = 16384;
// A declared argument count is only a claim; memory follows the bytes received.
constexpr int64_t kMaxReserve = 1024;
// Past this many entries the span buffer is released after the request.
constexpr size_t kMaxRetainedSpans = 64 * 1024;

// Parses a decimal int64 as strictly as Redis's string2ll: optional '-', no
// '+', no spaces, no leading zeros ("0" alone is fine, "-0" is not), no
// overflow.
bool ParseStrictInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  const bool negative = s[0] == '-';
  size_t i = negative ? 1 : 0;
  if (i == s.size() || s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);  // two's complement wrap gives INT64_MIN exactly
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

}  // namespace

void RequestParser::Reset() {
  ResetState();
  inline_args_.clear();
}

void RequestParser::ResetState() {
  state_ = State::kStart;
  pos_ = 0;
  scan_ = 0;
  seen_size_ = 0;
  args_left_ = 0;
  bulk_len_ = 0;
  bytes_wanted_ = 0;
  if (spans_.capacity() > kMaxRetainedSpans) {
    std::vector<std::pair<size_t, size_t>>().swap(spans_);
  } else {
    spans_.clear();
  }
}

RequestParser::Result RequestParser::NeedMore(size_t buf_size, size_t wanted) {
  seen_size_ = buf_size;
  bytes_wanted_ = wanted;
  return Result::kNeedMore;
}

RequestParser::Result RequestParser::Fail(std::string message) {
  error_ = std::move(message);
  ResetState();
  return Result::kError;
}

RequestParser::Result RequestParser::Parse(std::string_view buf, const ParserLimits& limits,
                                           std::vector<std::string_view>* args, size_t* consumed) {
  *consumed = 0;
  args->clear();
  // Saved offsets are only meaningful for the same bytes plus more.
  if (buf.size() < seen_size_) ResetState();
  if (state_ == State::kStart) {
    if (buf.empty()) return NeedMore(0, 0);
    if (buf[0] == '*') {
      state_ = State::kMultibulkCount;
      scan_ = 1;
    } else {
      state_ = State::kInline;
      scan_ = 0;
    }
    pos_ = 0;
  }
  if (state_ == State::kInline) return ParseInline(buf, args, consumed);
  return ParseMultibulk(buf, limits, args, consumed);
}

RequestParser::Result RequestParser::ParseInline(std::string_view buf,
                                                 std::vector<std::string_view>* args,
                                                 size_t* consumed) {
  // Redis looks for '\n' with strchr(), which also stops at a NUL byte; then
  // the line can never end, and the size limit below eventually applies.
  const char* begin = buf.data();
  const char* from = begin + scan_;
  const char* end = begin + buf.size();
  const char* newline = nullptr;
  if (from < end && *from == '\0') {
    end = from;  // parked on a NUL seen before: the line can never end
  } else if (from < end) {
    newline = static_cast<const char*>(std::memchr(from, '\n', end - from));
    const char* limit = newline != nullptr ? newline : end;
    if (const void* nul = std::memchr(from, '\0', limit - from)) {
      newline = nullptr;
      end = static_cast<const char*>(nul);
    }
  }
  if (newline == nullptr) {
    scan_ = end - begin;
    if (buf.size() > kInlineMaxSize) return Fail("Protocol error: too big inline request");
    return NeedMore(buf.size(), 0);
  }
  const size_t eol = newline - begin;
  size_t line_len = eol;
  if (line_len > 0 && buf[line_len - 1] == '\r') --line_len;
  std::optional<std::vector<std::string>> split = SplitArgs(buf.substr(0, line_len));
  if (!split) return Fail("Protocol error: unbalanced quotes in request");
  inline_args_ = std::move(*split);
  for (const std::string& a : inline_args_) args->emplace_back(a);
  *consumed = eol + 1;
  ResetState();
  return Result::kCommand;
}

bool RequestParser::FindHeaderEnd(std::string_view buf, size_t* eol) {
  // Like Redis, a header line ends at '\r' (found with strchr(), so a NUL byte
  // stops the search) and the byte after it is taken to be '\n' unchecked; it
  // must have arrived, though.
  const char* d = buf.data();
  const size_t n = buf.size();
  size_t i = std::max(scan_, pos_);
  while (i < n && d[i] != '\r' && d[i] != '\0') ++i;
  scan_ = i;
  if (i + 1 >= n || d[i] != '\r') {
    bytes_wanted_ = (i < n && d[i] == '\r') ? 1 : 0;
    return false;
  }
  *eol = i;
  return true;
}

RequestParser::Result RequestParser::ParseMultibulk(std::string_view buf,
                                                    const ParserLimits& limits,
                                                    std::vector<std::string_view>* args,
                                                    size_t* consumed) {
  size_t eol = 0;
  if (state_ == State::kMultibulkCount) {
    if (!FindHeaderEnd(buf, &eol)) {
      if (bytes_wanted_ == 0 && buf.size() - pos_ > kInlineMaxSize) {
        return Fail("Protocol error: too big mbulk count string");
      }
      return NeedMore(buf.size(), bytes_wanted_);
    }
    int64_t count = 0;
    if (!ParseStrictInt(buf.substr(pos_ + 1, eol - pos_ - 1), &count) || count > INT_MAX) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (count > kMaxUnauthArgs && limits.auth_required) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = eol + 2;
    if (count <= 0) {
      *consumed = pos_;
      ResetState();
      return Result::kCommand;
    }
    args_left_ = count;
    spans_.clear();
    spans_.reserve(static_cast<size_t>(std::min(count, kMaxReserve)));
    state_ = State::kBulkHeader;
    scan_ = pos_;
  }

  while (args_left_ > 0) {
    if (state_ == State::kBulkHeader) {
      if (!FindHeaderEnd(buf, &eol)) {
        if (bytes_wanted_ == 0 && buf.size() - pos_ > kInlineMaxSize) {
          return Fail("Protocol error: too big bulk count string");
        }
        return NeedMore(buf.size(), bytes_wanted_);
      }
      const char first = buf[pos_];
      if (first != '$') {
        // Redis sanitizes error replies, turning CR and LF into spaces.
        const char shown = (first == '\r' || first == '\n') ? ' ' : first;
        std::string msg = "Protocol error: expected '$', got '";
        msg.push_back(shown);
        msg.push_back('\'');
        return Fail(std::move(msg));
      }
      int64_t len = 0;
      if (!ParseStrictInt(buf.substr(pos_ + 1, eol - pos_ - 1), &len) || len < 0 ||
          len > limits.max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (len > kMaxUnauthBulkLen && limits.auth_required) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      bulk_len_ = len;
      pos_ = eol + 2;
      state_ = State::kBulkData;
    }
    // The payload and the two bytes after it (taken to be CRLF, unchecked).
    // pos_ <= buf.size() and bulk_len_ < 2^63, so this cannot overflow.
    const size_t need = pos_ + static_cast<size_t>(bulk_len_) + 2;
    if (buf.size() < need) return NeedMore(buf.size(), need - buf.size());
    spans_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ = need;
    scan_ = pos_;
    --args_left_;
    state_ = State::kBulkHeader;
  }

  const char* base = buf.data();
  for (const auto& [offset, len] : spans_) args->emplace_back(base + offset, len);
  *consumed = pos_;
  ResetState();
  return Result::kCommand;
}

}  // namespace basalt::protocol
