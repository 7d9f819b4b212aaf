// ReplyBuilder: writes RESP2 or RESP3 replies, byte for byte as redis-server
// 7.0 does, into a string owned by the caller (the connection's output buffer).
// Each command handler writes one reply through it; the RESP version is the
// connection's (HELLO 2/3). Types RESP2 lacks are written the way Redis
// downgrades them: maps become flat arrays, sets and pushes arrays, booleans
// integers, doubles and verbatim strings bulk strings.
//
// Thread-safety: none; a builder and its string belong to one connection's
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace basalt::protocol {

// Big enough for any FormatDoubleTo() output ("-2.2250738585072014e-308" is 24).
inline constexpr size_t kDoubleBufSize = 32;

// Writes `d` as C's printf("%.17g") does, which is how Redis 7.0 replies with
// doubles: "3", "0.10000000000000001", "1.0000000000000001e+300", "-0", "inf",
// "-inf", "nan", "-nan". `buf` must hold kDoubleBufSize bytes; returns the length.
size_t FormatDoubleTo(double d, char* buf);
std::string FormatDouble(double d);

// Appends `s` as a RESP bulk string ("$<len>\r\n<s>\r\n"), for messages
// rendered once and sent to many connections (pub/sub, invalidations, and
// the sentinel's requests).
void AppendBulk(std::string* out, std::string_view s);

class ReplyBuilder {
 public:
  explicit ReplyBuilder(std::string* out, int resp = 2) : out_(out), resp_(resp) {}

  void set_resp(int resp) { resp_ = resp; }
  int resp() const { return resp_; }
  std::string* out() { return out_; }

  // REQUIRES: s holds no '\r' or '\n'.
  void SimpleString(std::string_view s);
  void Ok() { out_->append("+OK\r\n", 5); }
  // `msg` is the error text without the leading '-', e.g. "ERR syntax error".
  // CR and LF in it become spaces, as Redis does, so a reply cannot be split.
  void Error(std::string_view msg);
  void Integer(int64_t v);
  void Bulk(std::string_view s);
  void Null();       // RESP2 "$-1", RESP3 "_"
  void NullArray();  // RESP2 "*-1", RESP3 "_"
  void ArrayHeader(size_t n) { Header('*', n); }
  void MapHeader(size_t n);   // n key/value pairs; RESP2: an array of 2n
  void SetHeader(size_t n);   // RESP2: an array
  void PushHeader(size_t n);  // RESP2: an array
  void Double(double d);      // RESP3 ",<d>", RESP2 a bulk string
  void Bool(bool b);          // RESP3 "#t"/"#f", RESP2 ":1"/":0"
  // RESP3 "=<n>\r\ntxt:<text>", RESP2 a bulk string (as INFO and CLIENT INFO do).
  void Verbatim(std::string_view text);
  void BulkArray(std::span<const std::string_view> items);

 private:
  bool resp3() const { return resp_ >= 3; }
  // Appends "<prefix><n>\r\n".
  void Header(char prefix, uint64_t n);

  std::string* out_;
  int resp_;
};

}  // namespace basalt::protocol
