// Stream values in RDB files, DUMP payloads and full syncs, as Redis 7.0
// writes them (RDB_TYPE_STREAM_LISTPACKS_2 = 19) and reads them (also the
// older STREAM_LISTPACKS = 15): each node as a listpack under its 16-byte
// big-endian master ID, then the stream metadata and the consumer groups
// with their PELs and consumers.
// Thread-safety: pure functions over values the caller holds locked.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "persistence/rdb_format.h"
#include "storage/entry.h"
#include "storage/stream_type.h"

namespace basalt::persistence {

void EncodeStream(const storage::StreamObject& s, RdbEncoder& enc);
StatusOr<storage::Entry*> DecodeStream(uint8_t type, RdbSource& src, std::string_view key,
                                       bool has_expire, int64_t expire_ms);

}  // namespace basalt::persistence
