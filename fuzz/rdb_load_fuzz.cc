// libFuzzer target for the RDB format library (LoadRdb, DecodeValue,
// RestorePayload). Built and run by fuzz/run.
//
// The first input byte picks the mode and the load limits; the rest is:
//   mode 0: a whole RDB stream for LoadRdb;
//   mode 1: a DUMP payload for RestorePayload;
//   mode 2: a type byte and a value for DecodeValue.
// Small limits (low bit 2 of the first byte) make every conversion path
// reachable with short inputs. Every value that loads is checked:
//   - the object's own invariants hold (lists and sorted sets self-check);
//   - encoding it again and decoding that gives the same contents (whatever
//     Basalt accepts, it can write and read back).
// A failure aborts, which libFuzzer reports as a crash.
//
// clang-format off
// fuzz-sources: src/persistence/crc64.cc src/persistence/rdb_format.cc src/persistence/rdb_value.cc src/persistence/rdb_stream.cc src/storage/stream_type.cc src/persistence/rdb_loader.cc src/storage/entry.cc src/storage/hash_type.cc src/storage/list_type.cc src/storage/set_type.cc src/storage/zset_type.cc src/common/hash.cc src/common/numbers.cc
// fuzz-libs: -I/usr/include/liblzf -llzf -lxxhash
// fuzz-seed: \x00REDIS0010\xfa\x09redis-ver\x067.0.15\xfe\x00\xfb\x06\x01\xfc\x00\xd8\xc3\x2c\xbb\x03\x00\x00\x00\x01n\xc0\x2a\x12\x01\x6c\x01\x02\x0c\x0c\x00\x00\x00\x02\x00\x81a\x02\x01\x01\xff\x11\x01z\x0f\x0f\x00\x00\x00\x02\x00\x81m\x02\x83\x31\x2e\x35\x04\xff\x10\x01h\x0d\x0d\x00\x00\x00\x02\x00\x81f\x02\x81v\x02\xff\x02\x01s\x01\x01x\x00\x03str\x05hello\xfe\x02\xfb\x01\x00\x00\x06db2key\x02v2\xff\x00\x00\x00\x00\x00\x00\x00\x00
// fuzz-seed: \x01\x12\x01\x02\x17\x17\x00\x00\x00\x05\x00\x81\x61\x02\x81\x62\x02\x01\x01\xdf\xfb\x02\xf2\xa0\x86\x01\x04\xff\x0a\x00\x46\x7a\x27\x11\x92\xae\xea\xbe
// fuzz-seed: \x01\x0b\x18\x04\x00\x00\x00\x04\x00\x00\x00\x90\xee\xfe\xff\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x0a\x00\xa8\xb6\x3c\x62\x2c\xbf\x2c\x9c
// fuzz-seed: \x01\x11\x1d\x1d\x00\x00\x00\x06\x00\x81\x63\x02\x84\x2d\x69\x6e\x66\x05\x81\x61\x02\x01\x01\x81\x62\x02\x83\x32\x2e\x35\x04\xff\x0a\x00\x39\x92\x33\x9b\xe1\x1f\x32\x3d
// fuzz-seed: \x01\x05\x02\x01\x79\x00\x00\x00\x00\x00\x00\x00\x40\x01\x78\x00\x00\x00\x00\x00\x00\xf0\x3f\x0a\x00\x92\x3d\x68\x66\x81\x3f\x7c\x49
// fuzz-seed: \x01\x00\xc3\x0b\x24\x03\x61\x62\x63\x61\xe0\x15\x02\x01\x62\x63\x0a\x00\x8e\x87\x91\xca\x11\x00\x1e\x28
// fuzz-seed: \x06\x04\x02\x01a\xc0\x01\x01b\x05bbbbb
// fuzz-seed: \x06\x03\x02\x01a\x031.5\x01b\xfe
// fuzz-seed: \x06\x09\x0e\x02\x01a\x01\x001\x01b\x02\x01xyz\xff
// fuzz-seed: \x06\x0a\x12\x12\x00\x00\x00\x0d\x00\x00\x00\x02\x00\x00\x01a\x03\xc0\x07\x00\xff
// fuzz-seed: \x06\x0e\x01\x12\x12\x00\x00\x00\x0d\x00\x00\x00\x02\x00\x00\x01a\x03\xc0\x07\x00\xff
// fuzz-seed: \x06\x12\x02\x01\x05plain\x02\x0c\x0c\x00\x00\x00\x02\x00\x81x\x02\x09\x01\xff
// fuzz-seed: \x06\x0c\x16\x16\x00\x00\x00\x13\x00\x00\x00\x04\x00\x00\x01m\x03\xfe\x05\x03\x01n\x03\xf3\xff
// fuzz-seed: \x01\x13\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x32\x32\x00\x00\x00\x13\x00\x01\x01\x01\x01\x01\x01\x81\x61\x02\x00\x01\x02\x01\x00\x01\x00\x01\x01\x01\x04\x01\x01\x01\x01\x01\xdf\xff\x02\x02\x01\x81\x61\x02\x02\x01\x81\x62\x02\x81\x78\x02\x08\x01\xff\x01\x02\x00\x01\x01\x02\x00\x02\x01\x01\x67\x00\x00\x81\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x01\x01\x01\x63\xff\x7c\x87\x4e\xa2\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x0a\x00\xda\xa4\x30\x18\xf6\x41\x13\x57
// clang-format on

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "persistence/rdb_format.h"
#include "persistence/rdb_loader.h"
#include "persistence/rdb_value.h"
#include "storage/entry.h"
#include "storage/hash_type.h"
#include "storage/list_type.h"
#include "storage/set_type.h"
#include "storage/stream_type.h"
#include "storage/zset_type.h"

namespace {

using basalt::Status;
using basalt::StatusOr;
using namespace basalt::persistence;
using basalt::storage::Entry;
using basalt::storage::ValueType;

void Check(bool ok, const char* what) {
  if (!ok) {
    fprintf(stderr, "check failed: %s\n", what);
    abort();
  }
}

// Contents in a canonical form (sets and hashes sorted), encoding excluded.
std::string Contents(const Entry& e) {
  std::string out(e.key());
  out += e.has_expire() ? "|exp" + std::to_string(e.expire_ms()) : std::string();
  auto add = [&out](std::string_view s) {
    out += "|" + std::to_string(s.size()) + ":";
    out += s;
  };
  switch (e.type()) {
    case ValueType::kString: {
      char buf[24];
      add(e.StringValue(buf));
      break;
    }
    case ValueType::kList: {
      auto* l = static_cast<const basalt::storage::ListObject*>(e.obj());
      Check(l->CheckInvariants(), "list invariants");
      Check(l->Size() > 0, "non-empty list");
      for (auto it = l->Begin(); it.Valid(); it.Next()) add(it.value());
      break;
    }
    case ValueType::kSet: {
      auto* s = static_cast<const basalt::storage::SetObject*>(e.obj());
      std::vector<std::string> m = s->Members();
      Check(m.size() == s->Size() && !m.empty(), "set size");
      std::sort(m.begin(), m.end());
      for (size_t i = 0; i < m.size(); i++) {
        Check(i == 0 || m[i] != m[i - 1], "set members distinct");
        Check(s->Contains(m[i]), "set lookup");
        add(m[i]);
      }
      break;
    }
    case ValueType::kZSet: {
      auto* z = static_cast<const basalt::storage::ZSetObject*>(e.obj());
      Check(z->CheckInvariants(), "zset invariants");
      Check(z->Size() > 0, "non-empty zset");
      for (auto it = z->AtRank(0); it.Valid(); it.Next()) {
        char buf[64];
        snprintf(buf, sizeof(buf), "=%.17g", it.score());
        add(it.member());
        out += buf;
        Check(z->Score(it.member()).has_value(), "zset lookup");
      }
      break;
    }
    case ValueType::kHash: {
      auto* h = static_cast<const basalt::storage::HashObject*>(e.obj());
      std::vector<std::pair<std::string, std::string>> kv;
      h->ForEach([&](std::string_view f, std::string_view v) { kv.emplace_back(f, v); });
      Check(kv.size() == h->Size() && !kv.empty(), "hash size");
      std::sort(kv.begin(), kv.end());
      for (size_t i = 0; i < kv.size(); i++) {
        Check(i == 0 || kv[i].first != kv[i - 1].first, "hash fields distinct");
        Check(h->Get(kv[i].first) == std::string_view(kv[i].second), "hash lookup");
        add(kv[i].first);
        add(kv[i].second);
      }
      break;
    }
    case ValueType::kStream: {
      auto* st = static_cast<const basalt::storage::StreamObject*>(e.obj());
      Check(st->CheckInvariants(), "stream invariants");
      size_t n = 0;
      st->Range(basalt::storage::StreamID{}, basalt::storage::StreamID::Max(), false,
                [&](const basalt::storage::StreamID& id, const auto& f) {
                  add(id.ToString());
                  for (const auto& [k, v] : f) {
                    add(k);
                    add(v);
                  }
                  n++;
                  return true;
                });
      Check(n == st->Size(), "stream size");
      add(st->last_id().ToString());
      add(std::to_string(st->entries_added()));
      for (const auto& [name, g] : st->groups()) {
        add(name);
        add(g.last_id.ToString());
        add(std::to_string(g.entries_read));
        for (const auto& [id, pe] : g.pel) {
          add(id.ToString());
          add(pe.consumer);
          add(std::to_string(pe.delivery_count));
          Check(g.consumers.count(pe.consumer) == 1, "PEL consumer exists");
        }
      }
      break;
    }
  }
  return out;
}

// Encodes e again (both compression settings) and checks it decodes to the
// same contents.
void CheckRoundTrip(const Entry& e, const RdbLimits& limits) {
  std::string want = Contents(e);
  for (bool compress : {false, true}) {
    std::string bytes;
    RdbEncoder enc(&bytes, compress);
    EncodeValue(e, enc);
    StringSource src(bytes);
    uint8_t type;
    Check(src.Read(&type, 1), "type byte");
    StatusOr<Entry*> again =
        DecodeValue(type, src, e.key(), e.has_expire(), e.has_expire() ? e.expire_ms() : 0, limits);
    Check(again.ok(), "re-decode");
    Check(src.remaining() == 0, "re-decode consumed all");
    Check(Contents(**again) == want, "round trip contents");
    basalt::storage::FreeEntry(*again);
  }
  std::string dump = DumpPayload(e, true);
  StatusOr<Entry*> restored = RestorePayload(dump, e.key(), false, 0, limits);
  Check(restored.ok(), "restore own dump");
  basalt::storage::FreeEntry(*restored);
}

class FuzzHandler : public RdbLoadHandler {
 public:
  explicit FuzzHandler(const RdbLimits& limits) : limits_(limits) {}
  Status OnEntry(int db, Entry* e, int64_t, int) override {
    Check(db >= 0 && db < 16, "db range");
    CheckRoundTrip(*e, limits_);
    basalt::storage::FreeEntry(e);
    return Status::Ok();
  }

 private:
  const RdbLimits& limits_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  RdbLimits limits;
  if (mode & 4) {
    limits.hash_max_listpack_entries = 2;
    limits.hash_max_listpack_value = 4;
    limits.set_max_intset_entries = 2;
    limits.zset_max_listpack_entries = 2;
    limits.zset_max_listpack_value = 4;
    limits.list_max_listpack_size = (mode & 8) ? 2 : -1;
  }
  switch (mode & 3) {
    case 0: {
      StringSource src(in);
      FuzzHandler handler(limits);
      Status st = LoadRdb(src, 16, limits, handler);
      Check(st.ok() || !st.message().empty(), "error message");
      break;
    }
    case 1: {
      StatusOr<Entry*> e = RestorePayload(in, "key", false, 0, limits);
      if (e.ok()) {
        CheckRoundTrip(**e, limits);
        basalt::storage::FreeEntry(*e);
      }
      break;
    }
    default: {
      if (in.empty()) return 0;
      StringSource src(in.substr(1));
      StatusOr<Entry*> e = DecodeValueOrEmpty(uint8_t(in[0]), src, "k", true, 123, limits);
      if (e.ok() && *e != nullptr) {
        CheckRoundTrip(**e, limits);
        basalt::storage::FreeEntry(*e);
      }
      break;
    }
  }
  return 0;
}
