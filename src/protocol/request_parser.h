// RequestParser: incremental parser for the requests a client sends to the
// server, in RESP multibulk form (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`) or as an
// inline line (`GET k\r\n`), with redis-server 7.0's exact protocol errors and
// size limits.
//
// The connection keeps its unconsumed input in one buffer and calls Parse() on
// it after each read. A request that is not complete yet returns kNeedMore and
// consumes nothing, but the parser remembers how far it got, so the next call
// with the same bytes plus more resumes where it stopped: a big request arriving
// in many small reads costs time linear in its size. If the buffer handed in is
// shorter than the one seen last time, the parser starts over (it cannot know
// the bytes changed otherwise; the caller must not change them).
//
// Redis quirks reproduced on purpose (all observed on redis-server 7.0.15):
//   - a header line ends at '\r' and the byte after it is skipped unchecked;
//     likewise the two bytes after a bulk's payload are skipped unchecked;
//   - a NUL byte stops the search for the end of a header or inline line, so
//     such a request waits for more input until the 64 KiB limit errors;
//   - `*0`, `*-N` and blank inline lines are empty requests, skipped silently.
//
// Thread-safety: one parser per connection, used by that connection's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace basalt::protocol {

struct ParserLimits {
  int64_t max_bulk_len = 512LL << 20;  // proto-max-bulk-len
  bool auth_required = false;          // client not yet authenticated
};

class RequestParser {
 public:
  enum class Result { kCommand, kNeedMore, kError };

  // Parses the next request from `buf`, the connection's unconsumed input.
  //
  // kCommand: *args holds the request's arguments and *consumed its length in
  // bytes. For multibulk requests the views point into `buf` (valid while buf is
  // unchanged); for inline requests, whose quoted arguments are unescaped, they
  // point into storage owned by this parser (valid until the next Parse() or
  // Reset()). An empty request gives empty args; the caller skips it.
  // kNeedMore: nothing consumed; call again once more bytes arrived.
  // kError: error() holds the message, e.g. "Protocol error: invalid bulk
  // length"; Redis replies "-ERR " + error() and closes the connection.
  Result Parse(std::string_view buf, const ParserLimits& limits,
               std::vector<std::string_view>* args, size_t* consumed);

  // The message of the last kError, without the "ERR " prefix; never contains
  // '\r' or '\n'.
  const std::string& error() const { return error_; }

  // After kNeedMore: how many more bytes the pending request needs at least, or
  // 0 if unknown (still inside a header line). Lets the connection size its
  // next read for big bulks.
  size_t BytesWanted() const { return bytes_wanted_; }

  // Forgets any partially parsed request.
  void Reset();

 private:
  enum class State { kStart, kInline, kMultibulkCount, kBulkHeader, kBulkData };

  Result ParseInline(std::string_view buf, std::vector<std::string_view>* args, size_t* consumed);
  Result ParseMultibulk(std::string_view buf, const ParserLimits& limits,
                        std::vector<std::string_view>* args, size_t* consumed);
  // Finds the '\r' ending the header line at pos_; false if it is not there yet.
  bool FindHeaderEnd(std::string_view buf, size_t* eol);
  Result NeedMore(size_t buf_size, size_t wanted);
  Result Fail(std::string message);
  // Forgets the request in progress but keeps inline_args_, which the args of
  // the request just returned may point into.
  void ResetState();

  State state_ = State::kStart;
  size_t pos_ = 0;        // offset, within the request, of the first unparsed byte
  size_t scan_ = 0;       // where the search for the current line's end resumes
  size_t seen_size_ = 0;  // buffer size at the last kNeedMore
  int64_t args_left_ = 0;
  int64_t bulk_len_ = 0;  // length of the bulk whose payload is awaited
  size_t bytes_wanted_ = 0;
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, length) of each parsed bulk
  std::vector<std::string> inline_args_;
  std::string error_;
};

}  // namespace basalt::protocol
