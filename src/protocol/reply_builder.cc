#include "protocol/reply_builder.h"

#include <algorithm>
#include <charconv>

namespace basalt::protocol {

size_t FormatDoubleTo(double d, char* buf) {
  // The standard defines precision-taking to_chars as printf in the "C" locale
  // with that precision, so this is "%.17g" without the format parsing; that
  // includes "inf", "nan" and the sign of a NaN, which glibc's printf shows.
  auto res = std::to_chars(buf, buf + kDoubleBufSize, d, std::chars_format::general, 17);
  return static_cast<size_t>(res.ptr - buf);
}

void AppendBulk(std::string* out, std::string_view s) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), s.size());
  out->push_back('$');
  out->append(buf, size_t(end - buf));
  out->append("\r\n", 2);
  out->append(s);
  out->append("\r\n", 2);
}

std::string FormatDouble(double d) {
  char buf[kDoubleBufSize];
  return std::string(buf, FormatDoubleTo(d, buf));
}

void ReplyBuilder::Header(char prefix, uint64_t n) {
  char buf[24];  // prefix, 20 digits, CRLF
  buf[0] = prefix;
  char* p = std::to_chars(buf + 1, buf + 21, n).ptr;
  p[0] = '\r';
  p[1] = '\n';
  out_->append(buf, p + 2 - buf);
}

void ReplyBuilder::SimpleString(std::string_view s) {
  out_->push_back('+');
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Error(std::string_view msg) {
  out_->push_back('-');
  const size_t start = out_->size();
  out_->append(msg);
  std::replace_if(
      out_->begin() + start, out_->end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  out_->append("\r\n", 2);
}

void ReplyBuilder::Integer(int64_t v) {
  char buf[24];  // ':', sign and 19 digits, CRLF
  buf[0] = ':';
  char* p = std::to_chars(buf + 1, buf + 21, v).ptr;
  p[0] = '\r';
  p[1] = '\n';
  out_->append(buf, p + 2 - buf);
}

void ReplyBuilder::Bulk(std::string_view s) {
  Header('$', s.size());
  out_->append(s);
  out_->append("\r\n", 2);
}

void ReplyBuilder::Null() {
  if (resp3()) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void ReplyBuilder::NullArray() {
  if (resp3()) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void ReplyBuilder::MapHeader(size_t n) {
  if (resp3()) {
    Header('%', n);
  } else {
    Header('*', static_cast<uint64_t>(n) * 2);
  }
}

void ReplyBuilder::SetHeader(size_t n) { Header(resp3() ? '~' : '*', n); }

void ReplyBuilder::PushHeader(size_t n) { Header(resp3() ? '>' : '*', n); }

void ReplyBuilder::Double(double d) {
  char buf[kDoubleBufSize + 3];
  if (resp3()) {
    buf[0] = ',';
    const size_t len = FormatDoubleTo(d, buf + 1);
    buf[len + 1] = '\r';
    buf[len + 2] = '\n';
    out_->append(buf, len + 3);
  } else {
    Bulk(std::string_view(buf, FormatDoubleTo(d, buf)));
  }
}

void ReplyBuilder::Bool(bool b) {
  if (resp3()) {
    out_->append(b ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(b ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyBuilder::Verbatim(std::string_view text) {
  if (!resp3()) {
    Bulk(text);
    return;
  }
  Header('=', text.size() + 4);
  out_->append("txt:", 4);
  out_->append(text);
  out_->append("\r\n", 2);
}

void ReplyBuilder::BulkArray(std::span<const std::string_view> items) {
  ArrayHeader(items.size());
  for (std::string_view s : items) Bulk(s);
}

}  // namespace basalt::protocol
