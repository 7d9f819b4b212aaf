#include "protocol/reply_reader.h"

#include <algorithm>
#include <charconv>

namespace basalt::protocol {

namespace {

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

void ReplyReader::Reset() {
  buf_.clear();
  pos_ = 0;
  error_.clear();
}

bool ReplyReader::ReadLine(size_t* pos, std::string_view* line) {
  size_t end = buf_.find("\r\n", *pos);
  if (end == std::string::npos) return false;
  *line = std::string_view(buf_).substr(*pos, end - *pos);
  *pos = end + 2;
  return true;
}

ReplyReader::Result ReplyReader::ParseValue(size_t* pos, int depth, Reply* out) {
  if (*pos >= buf_.size()) return Result::kNeedMore;
  if (depth > kMaxDepth) {
    error_ = "reply nested too deeply";
    return Result::kError;
  }
  char type = buf_[*pos];
  size_t p = *pos + 1;
  std::string_view line;
  if (!ReadLine(&p, &line)) {
    // A header line is short; a long one without CRLF is garbage.
    if (buf_.size() - *pos > 64 * 1024) {
      error_ = "reply line too long";
      return Result::kError;
    }
    return Result::kNeedMore;
  }
  *out = Reply();
  switch (type) {
    case '+':
    case '-':
      out->type = type == '+' ? Reply::Type::kStatus : Reply::Type::kError;
      out->str.assign(line);
      break;
    case ':':
      out->type = Reply::Type::kInteger;
      if (!ParseInt(line, &out->integer)) {
        error_ = "invalid integer reply";
        return Result::kError;
      }
      break;
    case '$': {
      int64_t len;
      if (!ParseInt(line, &len) || len < -1 || (len >= 0 && uint64_t(len) > max_bulk_)) {
        error_ = "invalid bulk length";
        return Result::kError;
      }
      if (len == -1) {
        out->type = Reply::Type::kNil;
        break;
      }
      if (buf_.size() - p < size_t(len) + 2) return Result::kNeedMore;
      if (buf_.compare(p + size_t(len), 2, "\r\n") != 0) {
        error_ = "bulk reply not terminated by CRLF";
        return Result::kError;
      }
      out->type = Reply::Type::kBulk;
      out->str.assign(buf_, p, size_t(len));
      p += size_t(len) + 2;
      break;
    }
    case '*': {
      int64_t n;
      if (!ParseInt(line, &n) || n < -1 || (n >= 0 && uint64_t(n) > max_elements_)) {
        error_ = "invalid array length";
        return Result::kError;
      }
      if (n == -1) {
        out->type = Reply::Type::kNil;
        break;
      }
      out->type = Reply::Type::kArray;
      out->elements.reserve(size_t(std::min<int64_t>(n, 1024)));
      for (int64_t i = 0; i < n; i++) {
        Reply element;
        Result r = ParseValue(&p, depth + 1, &element);
        if (r != Result::kReply) return r;
        out->elements.push_back(std::move(element));
      }
      break;
    }
    default:
      error_ = std::string("unexpected reply type byte '") + type + "'";
      return Result::kError;
  }
  *pos = p;
  return Result::kReply;
}

ReplyReader::Result ReplyReader::Next(Reply* out) {
  if (!error_.empty()) return Result::kError;
  size_t p = pos_;
  Result r = ParseValue(&p, 0, out);
  if (r != Result::kReply) return r;
  pos_ = p;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024 && pos_ * 2 > buf_.size()) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  return Result::kReply;
}

}  // namespace basalt::protocol
