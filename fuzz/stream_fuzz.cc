// libFuzzer target for stream IDs and the StreamObject. Built and run by
// fuzz/run.
//
// The input is a list of operations, one per line: the first byte picks the
// operation and the rest of the line is its argument:
//   'i' parse a stream ID (ParseStreamID with both missing-seq values)
//   'a' append an entry whose ID is the parsed argument (skipped unless it is
//       greater than the last ID), fields from the argument's bytes
//   'd' delete the parsed ID      'g' look the parsed ID up
//   'm' TrimMaxLen(arg length)    'n' TrimMinId(parsed ID), exact or approx
//   'r' walk the range [0, parsed ID] both ways
// After every operation the object's invariants must hold, and the
// forward and backward walks must see the same entries.
// A failure aborts, which libFuzzer reports as a crash.
//
// fuzz-sources: src/storage/stream_type.cc
// fuzz-seed: a1-1\na2-0\na2-5\nd2-0\nr+\nm1\ni18446744073709551615-18446744073709551615\n
// fuzz-seed: a5\na6-1\nn6-0\ni99999999999999999999-1\ng5-0\n
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "storage/stream_type.h"

using basalt::storage::ParseStreamID;
using basalt::storage::StreamID;
using basalt::storage::StreamLimits;
using basalt::storage::StreamObject;

namespace {

void Check(bool ok) {
  if (!ok) abort();
}

size_t Count(const StreamObject& s, bool rev) {
  size_t n = 0;
  StreamID prev;
  bool first = true;
  s.Range(StreamID{}, StreamID::Max(), rev, [&](const StreamID& id, const auto&) {
    if (!first) Check(rev ? id < prev : prev < id);
    prev = id;
    first = false;
    n++;
    return true;
  });
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  StreamObject s;
  StreamLimits lim{64, 4};
  size_t ops = 0;
  while (!in.empty() && ops++ < 2000) {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    if (line.empty()) continue;
    char op = line[0];
    std::string_view arg = line.substr(1);
    StreamID id;
    bool ok = ParseStreamID(arg, 0, &id);
    StreamID id2;
    Check(ParseStreamID(arg, UINT64_MAX, &id2) == ok);
    switch (op) {
      case 'a':
        if (ok && id > s.last_id()) {
          std::vector<std::string_view> pairs;
          for (size_t i = 0; i + 1 < arg.size() && pairs.size() < 8; i += 2) {
            pairs.push_back(arg.substr(i, 1));
            pairs.push_back(arg.substr(i + 1, 1));
          }
          if (pairs.empty()) pairs = {"f", "v"};
          s.Append(id, pairs, lim);
          Check(s.Get(id));
        }
        break;
      case 'd':
        if (ok) {
          bool had = s.Get(id);
          Check(s.Delete(id) == had);
          Check(!s.Get(id));
        }
        break;
      case 'g':
        if (ok) s.Get(id);
        break;
      case 'm':
        s.TrimMaxLen(arg.size(), arg.size() % 2 == 1, 0);
        Check(arg.size() % 2 == 1 || s.Size() <= arg.size());
        break;
      case 'n':
        if (ok) s.TrimMinId(id, arg.size() % 2 == 1, 0);
        break;
      case 'r':
        if (ok) {
          size_t f = 0, b = 0;
          s.Range(StreamID{}, id, false, [&](const StreamID&, const auto&) { return ++f, true; });
          s.Range(StreamID{}, id, true, [&](const StreamID&, const auto&) { return ++b, true; });
          Check(f == b);
        }
        break;
      default:
        break;
    }
    Check(s.CheckInvariants());
    Check(Count(s, false) == s.Size());
    Check(Count(s, true) == s.Size());
  }
  return 0;
}
