// Reading a whole RDB stream (a dump file, or a full sync from a primary):
// header, AUX fields, database selectors, keys with their expire and eviction
// hints, EOF and checksum. The caller's RdbLoadHandler receives the pieces;
// the loader itself keeps no state beyond the call.
//
// Errors name the byte offset and the reason, e.g. "Bad RDB checksum at
// offset N", "Unknown RDB type 42 at offset N", "Unexpected end of file at
// offset N". They are log lines, without Redis's "ERR " reply prefix.
//
// Thread-safety: LoadRdb runs on the calling thread and calls the handler
// from it; the source and handler belong to that thread for the call.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "persistence/rdb_format.h"
#include "persistence/rdb_value.h"
#include "storage/entry.h"

namespace basalt::persistence {

class RdbLoadHandler {
 public:
  virtual ~RdbLoadHandler() = default;
  // A non-OK status from any callback stops the load and is returned as is.
  virtual Status OnAux(std::string_view /*key*/, std::string_view /*value*/) {
    return Status::Ok();
  }
  virtual Status OnResizeDb(int /*db*/, uint64_t /*size*/, uint64_t /*expires*/) {
    return Status::Ok();
  }
  // A key for database `db`; the handler takes ownership of e (even when it
  // returns an error). lru_idle_s / lfu_freq are -1 when the file has none.
  // Keys whose expire time has passed are delivered too: whether to drop
  // them (a primary does, a replica does not) is the caller's decision.
  virtual Status OnEntry(int db, storage::Entry* e, int64_t lru_idle_s, int lfu_freq) = 0;
  // A FUNCTION2 record: one function library's code.
  virtual Status OnFunction(std::string_view /*code*/) {
    return Status::Error("RDB contains function libraries, which this load does not take");
  }
  // Called about every RdbLimits::progress_bytes of input.
  virtual void OnProgress(uint64_t /*bytes_read*/) {}
};

constexpr uint64_t kRdbProgressBytes = uint64_t(2) << 20;

// Reads a whole RDB stream: magic "REDIS" + 4-digit version (1..10 accepted),
// opcodes, entries, EOF, and (version >= 5) the 8-byte checksum, verified when
// non-zero. Empty collections are skipped, as Redis does. Function libraries
// go to the handler's OnFunction; module data, pre-GA function records and
// streams are rejected; so are database indexes >= db_count.
// Reads nothing past the checksum.
Status LoadRdb(RdbSource& src, int db_count, const RdbLimits& limits, RdbLoadHandler& handler);

}  // namespace basalt::persistence
