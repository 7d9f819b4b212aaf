// libFuzzer target for protocol::RequestParser (and SplitArgs, through inline
// requests). Built and run by fuzz/run.
//
// The first input byte picks the limits and the mode, the second seeds the
// chunking; the rest is what a client sends. The bytes are delivered in random
// chunks, as a connection would receive them, and parsed after each chunk; every
// parse is checked for:
//   - consumed <= buffer size, and > 0 for a command; nothing consumed otherwise;
//   - multibulk arguments lie inside the consumed bytes; inline arguments equal
//     SplitArgs() of the line;
//   - BytesWanted() never overstates: a request does not complete or fail
//     before that many more bytes arrived;
//   - the commands and final error do not depend on the chunking (compared with
//     a parse of the whole input at once, when the input stays under the 64 KiB
//     line limits whose outcome legitimately depends on read sizes).
// After each read the buffer is copied to an exactly sized allocation, so
// AddressSanitizer catches any read past its end, and the parser cannot rely on
// the buffer's address staying the same.
//
// fuzz-sources: src/common/split_args.cc src/protocol/request_parser.cc
// fuzz-seed: \x00\x01*1\r\n$4\r\nPING\r\n
// fuzz-seed: \x00\x07*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\nb\0\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n
// fuzz-seed: \x28\x03PING\r\nECHO "a\\x41\\n" 'b\\'c'\n*0\r\n*-1\r\n\r\n
// fuzz-seed: \x01\x05*11\r\n*1\r\n$16385\r\n
// fuzz-seed: \x02\x09*2\r\n$4\r\nECHO\r\n$17\r\n0123456789abcdef\r\n
// fuzz-seed: \xf8\x02*1\r\n$1\r\nA\r\nECHO x\0y\r\n
// fuzz-seed: \xf9\x02ECHO abc
// fuzz-seed: \xf8\x04*1111
// fuzz-seed: \xfa\x06*1\r\n$1111
// fuzz-seed: \x14\x11*2147483647\r\n$-1\r\n*1\rx$01\r\n
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/split_args.h"
#include "protocol/request_parser.h"

namespace {

using basalt::protocol::ParserLimits;
using basalt::protocol::RequestParser;
using Result = RequestParser::Result;

#define FUZZ_CHECK(cond)                                                            \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (0)

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  std::string error;
  size_t pending = 0;
  bool operator==(const Outcome&) const = default;
};

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t Next() {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    return s_;
  }

 private:
  uint64_t s_;
};

// Delivers `input` in chunks of 1..max_chunk bytes (max_chunk 0: all at once).
// With !record, only the invariants are checked.
Outcome Run(std::string_view input, const ParserLimits& limits, uint64_t seed, size_t max_chunk,
            bool record) {
  RequestParser parser;
  Rng rng(seed);
  Outcome out;
  std::string buf;
  std::vector<std::string_view> args;
  size_t fed = 0;
  size_t must_reach = 0;  // buffer size BytesWanted() promised is needed
  while (fed < input.size()) {
    const size_t n = max_chunk == 0
                         ? input.size() - fed
                         : std::min<size_t>(input.size() - fed, 1 + rng.Next() % max_chunk);
    buf.append(input.substr(fed, n));
    fed += n;
    // An exactly sized copy per read: reading past its end is an ASan error.
    std::unique_ptr<char[]> exact(new char[buf.size()]);
    std::memcpy(exact.get(), buf.data(), buf.size());
    size_t start = 0;  // bytes of this copy already consumed
    while (true) {
      const std::string_view view(exact.get() + start, buf.size() - start);
      size_t consumed = 12345;
      args.assign(3, std::string_view("stale"));
      const Result r = parser.Parse(view, limits, &args, &consumed);
      FUZZ_CHECK(consumed <= view.size());
      if (r == Result::kNeedMore) {
        FUZZ_CHECK(consumed == 0);
        FUZZ_CHECK(args.empty());
        must_reach = parser.BytesWanted() == 0 ? 0 : view.size() + parser.BytesWanted();
        break;
      }
      FUZZ_CHECK(view.size() >= must_reach);
      must_reach = 0;
      if (r == Result::kError) {
        FUZZ_CHECK(consumed == 0);
        FUZZ_CHECK(!parser.error().empty());
        FUZZ_CHECK(parser.error().find_first_of("\r\n") == std::string::npos);
        if (record)
          out.error = parser.error();  // how much was buffered then depends on the chunking
        return out;
      }
      FUZZ_CHECK(consumed > 0);
      if (view[0] == '*') {
        for (std::string_view a : args) {
          FUZZ_CHECK(a.data() >= view.data());
          FUZZ_CHECK(a.size() <= consumed);
          FUZZ_CHECK(a.data() + a.size() <= view.data() + consumed);
        }
      } else {
        FUZZ_CHECK(view[consumed - 1] == '\n');
        std::string_view line = view.substr(0, consumed - 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        FUZZ_CHECK(line.find('\0') == std::string_view::npos);
        auto split = basalt::SplitArgs(line);
        FUZZ_CHECK(split.has_value());
        FUZZ_CHECK(split->size() == args.size());
        for (size_t i = 0; i < args.size(); ++i) FUZZ_CHECK((*split)[i] == args[i]);
      }
      if (record) out.commands.emplace_back(args.begin(), args.end());
      start += consumed;
    }
    // The parser keeps offsets into the pending request, not pointers: the next
    // read's copy lives elsewhere.
    buf.erase(0, start);
  }
  if (record) out.pending = buf.size();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t mode = data[0];
  const uint8_t seed = data[1];
  std::string input(reinterpret_cast<const char*>(data) + 2, size - 2);

  // mode bit 0: not authenticated; bit 1: proto-max-bulk-len 16; bit 2: no
  // bulk length limit; bits 3-7: the largest read, or 31 for "amplify".
  ParserLimits limits;
  limits.auth_required = (mode & 1) != 0;
  if (mode & 2) {
    limits.max_bulk_len = 16;
  } else if (mode & 4) {
    limits.max_bulk_len = INT64_MAX;
  }
  size_t max_chunk = 1 + (mode >> 3) * 2;
  bool record = true;
  if ((mode >> 3) == 31) {
    // Amplify: pad the input with one byte past the 64 KiB line limits, read
    // in big pieces; the outcome then depends on the read sizes, so there is
    // nothing to compare.
    static constexpr char kFill[] = {'1', 'x', '\0', ' '};
    input.append(66000, kFill[seed & 3]);
    max_chunk = 16384;
    record = false;
  }
  const Outcome chunked = Run(input, limits, seed, max_chunk, record);
  if (record) {
    const Outcome whole = Run(input, limits, seed, 0, record);
    FUZZ_CHECK(chunked == whole);
  }
  return 0;
}
