#include "persistence/rdb_loader.h"

#include <cstdio>
#include <cstring>
#include <string>

#include "persistence/crc64.h"

namespace basalt::persistence {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

Status AtOffset(std::string_view what, uint64_t offset) {
  std::string m(what);
  m += " at offset ";
  m += std::to_string(offset);
  return Status::Error(m);
}

}  // namespace

Status LoadRdb(RdbSource& src, int db_count, const RdbLimits& limits, RdbLoadHandler& handler) {
  char magic[9];
  if (!src.Read(magic, 9)) return src.ReadError();
  if (memcmp(magic, "REDIS", 5) != 0) {
    return AtOffset("Wrong signature trying to load DB from file", 0);
  }
  int version = 0;
  for (int i = 5; i < 9; i++) {
    if (magic[i] < '0' || magic[i] > '9') return AtOffset("Bad RDB version field", 5);
    version = version * 10 + (magic[i] - '0');
  }
  if (version < 1 || version > kRdbVersion) {
    return AtOffset("Can't handle RDB format version " + std::to_string(version), 5);
  }

  int db = 0;
  bool has_expire = false;
  int64_t expire_ms = 0;
  int64_t lru_idle = -1;
  int lfu_freq = -1;
  const uint64_t progress_step =
      limits.progress_bytes > 0 ? limits.progress_bytes : kRdbProgressBytes;
  uint64_t next_progress = progress_step;
  std::string key, aux_key, aux_val;
  for (;;) {
    uint64_t record_offset = src.offset();
    uint8_t type;
    if (Status st = ReadByte(src, &type); !st.ok()) return st;
    switch (type) {
      case kRdbOpExpireSec: {
        int32_t s;
        if (Status st = ReadSeconds(src, &s); !st.ok()) return st;
        has_expire = true;
        expire_ms = int64_t(s) * 1000;
        continue;
      }
      case kRdbOpExpireMs:
        if (Status st = ReadMillis(src, &expire_ms); !st.ok()) return st;
        has_expire = true;
        continue;
      case kRdbOpFreq: {
        uint8_t f;
        if (Status st = ReadByte(src, &f); !st.ok()) return st;
        lfu_freq = f;
        continue;
      }
      case kRdbOpIdle: {
        uint64_t idle;
        if (Status st = ReadLength(src, &idle); !st.ok()) return st;
        lru_idle = idle > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(idle);
        continue;
      }
      case kRdbOpSelectDb: {
        uint64_t n;
        if (Status st = ReadLength(src, &n); !st.ok()) return st;
        if (n >= uint64_t(db_count)) {
          return AtOffset("Database index " + std::to_string(n) + " out of range (databases " +
                              std::to_string(db_count) + ")",
                          record_offset);
        }
        db = int(n);
        continue;
      }
      case kRdbOpResizeDb: {
        uint64_t size, expires;
        if (Status st = ReadLength(src, &size); !st.ok()) return st;
        if (Status st = ReadLength(src, &expires); !st.ok()) return st;
        if (Status st = handler.OnResizeDb(db, size, expires); !st.ok()) return st;
        continue;
      }
      case kRdbOpAux:
        if (Status st = ReadString(src, &aux_key); !st.ok()) return st;
        if (Status st = ReadString(src, &aux_val); !st.ok()) return st;
        if (Status st = handler.OnAux(aux_key, aux_val); !st.ok()) return st;
        continue;
      case kRdbOpModuleAux:
        return AtOffset("RDB contains module data; Basalt does not support modules", record_offset);
      case kRdbOpFunction2: {
        std::string code;
        if (Status st = ReadString(src, &code); !st.ok()) return st;
        if (Status st = handler.OnFunction(code); !st.ok()) return st;
        continue;
      }
      case kRdbOpFunctionPreGa:
        return AtOffset("RDB contains functions in the pre-GA (7.0 release candidate) format",
                        record_offset);
      case kRdbOpEof:
        break;
      default: {
        if (!IsRdbObjectType(type)) {
          return AtOffset("Unknown RDB type " + std::to_string(type), record_offset);
        }
        if (Status st = ReadString(src, &key); !st.ok()) return st;
        StatusOr<storage::Entry*> e =
            DecodeValueOrEmpty(type, src, key, has_expire, expire_ms, limits);
        if (!e.ok()) return e.status();
        if (*e != nullptr) {
          if (Status st = handler.OnEntry(db, *e, lru_idle, lfu_freq); !st.ok()) return st;
        }
        has_expire = false;
        expire_ms = 0;
        lru_idle = -1;
        lfu_freq = -1;
        if (src.offset() >= next_progress) {
          handler.OnProgress(src.offset());
          next_progress = src.offset() + progress_step;
        }
        continue;
      }
    }
    break;  // EOF opcode
  }

  if (version >= 5) {
    uint64_t expected = src.crc();
    uint64_t eof_offset = src.offset();
    uint8_t b[8];
    if (!src.Read(b, 8)) return src.ReadError();
    uint64_t stored = 0;
    for (int i = 0; i < 8; i++) stored |= uint64_t(b[i]) << (8 * i);
    // A zero checksum means the writer had rdbchecksum off.
    if (stored != 0 && stored != expected) {
      return Status::Error("Bad RDB checksum at offset " + std::to_string(eof_offset) +
                           " (computed " + Hex(expected) + ", file has " + Hex(stored) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace basalt::persistence
