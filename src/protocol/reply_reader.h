// ReplyReader: incremental parser of the RESP2 replies a server sends back,
// for the places where Basalt is the client (the sentinel's links to the
// instances it monitors, pub/sub messages included).
//
// Bytes are appended with Feed() as they arrive; Next() returns one complete
// reply at a time. Nesting and sizes are bounded so a hostile peer cannot make
// the reader allocate without limit: a bulk string over max_bulk bytes, an
// array over max_elements elements or deeper than kMaxDepth is a protocol
// error, after which the connection must be dropped.
//
// Thread-safety: one reader per connection, used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace basalt::protocol {

struct Reply {
  enum class Type { kStatus, kError, kInteger, kBulk, kNil, kArray };
  Type type = Type::kNil;
  std::string str;              // kStatus, kError, kBulk
  int64_t integer = 0;          // kInteger
  std::vector<Reply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
  bool is_string() const { return type == Type::kStatus || type == Type::kBulk; }
};

class ReplyReader {
 public:
  static constexpr int kMaxDepth = 8;

  explicit ReplyReader(size_t max_bulk = 64u << 20, size_t max_elements = 1u << 20)
      : max_bulk_(max_bulk), max_elements_(max_elements) {}

  void Feed(std::string_view data) { buf_.append(data); }

  enum class Result { kReply, kNeedMore, kError };
  // kReply: *out holds the next reply, removed from the buffer.
  // kNeedMore: no complete reply buffered yet.
  // kError: the stream is not RESP2 (error() says why); stop using the reader.
  Result Next(Reply* out);
  const std::string& error() const { return error_; }
  size_t buffered() const { return buf_.size() - pos_; }
  void Reset();

 private:
  // Parses one value at *pos; returns kNeedMore without side effects on *pos
  // when the buffer ends inside it.
  Result ParseValue(size_t* pos, int depth, Reply* out);
  bool ReadLine(size_t* pos, std::string_view* line);

  std::string buf_;
  size_t pos_ = 0;  // start of the unconsumed bytes
  size_t max_bulk_;
  size_t max_elements_;
  std::string error_;
};

}  // namespace basalt::protocol
