// Fuzzes protocol::ReplyReader, the parser of the replies the sentinel reads
// from the instances it monitors (which may be anything listening on a port).
// Checks that parsing never crashes, and that the replies do not depend on how
// the bytes are split into reads: the input is parsed once whole and once fed
// in pieces whose sizes come from the input itself.
//
// fuzz-sources: src/protocol/reply_reader.cc
// fuzz-seed: +PONG\r\n-ERR x\r\n:12\r\n$3\r\nabc\r\n$-1\r\n*-1\r\n
// fuzz-seed: *3\r\n$7\r\nmessage\r\n$18\r\n__sentinel__:hello\r\n$5\r\nhello\r\n
// fuzz-seed: *2\r\n*2\r\n:1\r\n:2\r\n$0\r\n\r\n
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reply_reader.h"

using basalt::protocol::Reply;
using basalt::protocol::ReplyReader;

namespace {

std::string Render(const Reply& r) {
  std::string s(1, char('0' + int(r.type)));
  s += r.str + "|" + std::to_string(r.integer) + "[";
  for (const Reply& e : r.elements) s += Render(e) + ",";
  return s + "]";
}

// Every reply, then "E" on a protocol error.
std::vector<std::string> Drain(ReplyReader& reader) {
  std::vector<std::string> out;
  Reply r;
  for (;;) {
    auto res = reader.Next(&r);
    if (res == ReplyReader::Result::kReply) {
      out.push_back(Render(r));
      continue;
    }
    if (res == ReplyReader::Result::kError) out.push_back("E");
    return out;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ReplyReader whole(1 << 16, 1 << 12);
  whole.Feed(in);
  std::vector<std::string> expected = Drain(whole);

  ReplyReader pieces(1 << 16, 1 << 12);
  std::vector<std::string> got;
  size_t pos = 0;
  bool failed = false;
  while (pos < in.size() && !failed) {
    size_t n = 1 + (uint8_t(in[pos]) % 7);
    pieces.Feed(in.substr(pos, n));
    pos += n;
    for (std::string& s : Drain(pieces)) {
      failed |= s == "E";
      got.push_back(std::move(s));
    }
  }
  // After an error the whole-input parse stops; so does the piecewise one.
  if (got != expected) abort();
  return 0;
}
