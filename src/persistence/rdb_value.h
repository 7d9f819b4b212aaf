// Values in RDB form: turns storage entries into the RDB type byte and
// payload Redis 7.0 writes for each encoding, and RDB payloads of every type
// Redis 7.0 can load (modules and streams excepted) back into entries. Also
// the DUMP/RESTORE payload (value + RDB version + CRC-64).
//
// Decoding validates everything (blob bounds, counts, duplicates, NaN scores)
// so that corrupt input yields an error, never a crash or an object that
// breaks its invariants later; and it picks the encodings Redis 7.0 picks on
// load for the given *-max-listpack-* limits.
//
// Thread-safety: pure functions. Encoding reads the entry, so the caller holds
// whatever lock guards it (the shard lock) for the duration of the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "persistence/rdb_format.h"
#include "storage/entry.h"

namespace basalt::config {
class Config;
}

namespace basalt::persistence {

// The thresholds that decide the encodings of loaded values (the server's
// *-max-listpack-* / set-max-intset-entries / list-max-listpack-size config).
// Defaults are Redis 7.0's built-in ones (hash-max-listpack-entries is 512
// when no redis.conf lowers it; the shipped redis.conf says 128).
struct RdbLimits {
  size_t hash_max_listpack_entries = 512, hash_max_listpack_value = 64;
  size_t set_max_intset_entries = 512;
  size_t zset_max_listpack_entries = 128, zset_max_listpack_value = 64;
  int64_t list_max_listpack_size = -2;
  // How often a load reports its progress (loading-process-events-interval-bytes).
  uint64_t progress_bytes = uint64_t(2) << 20;
};
// The limits in force under this configuration (its *-max-listpack-* and
// set-max-intset-entries).
RdbLimits RdbLimitsOf(const config::Config& c);

// The RDB type byte Redis 7.0 writes for the entry's value and encoding.
// REQUIRES: e.type() is not kStream (Basalt has no streams).
uint8_t RdbTypeOf(const storage::Entry& e);

// Appends the value's RDB type byte and payload (not the key), as Redis 7.0
// writes each encoding: string -> STRING; list -> QUICKLIST_2 of listpack
// nodes sized by the list's fill (PLAIN nodes only for elements of 1 GiB or
// more, as Redis 7.0's packed threshold); intset set -> SET_INTSET; hashtable
// set -> SET; listpack / skiplist zset -> ZSET_LISTPACK / ZSET_2 (highest
// score first, as Redis writes it); listpack / hashtable hash -> HASH_LISTPACK
// / HASH.
void EncodeValue(const storage::Entry& e, RdbEncoder& enc);
// The payload alone, without the type byte.
void EncodeValuePayload(const storage::Entry& e, RdbEncoder& enc);

// One keyspace record: [EXPIRETIME_MS ms] + type + key + value.
void EncodeKeyValue(const storage::Entry& e, RdbEncoder& enc);
// The same with the eviction hint Redis writes between the expire and the
// type: IDLE (seconds) when lru_idle_s >= 0, else FREQ when lfu_freq >= 0.
void EncodeKeyValue(const storage::Entry& e, RdbEncoder& enc, int64_t lru_idle_s, int lfu_freq);

// DUMP: type + value + RDB version (2 bytes LE) + CRC-64 (8 bytes LE) of
// everything before it.
std::string DumpPayload(const storage::Entry& e, bool compress);

// Reads the value of RDB type `type` from src into a new entry for `key`
// (caller owns it; release with storage::FreeEntry). Accepts STRING, LIST,
// SET, ZSET, ZSET_2, HASH, HASH_ZIPMAP, LIST_ZIPLIST, SET_INTSET, ZSET_ZIPLIST,
// HASH_ZIPLIST, LIST_QUICKLIST, HASH_LISTPACK, ZSET_LISTPACK and
// LIST_QUICKLIST_2; modules and streams give "... not supported" errors. An
// empty collection (which Redis skips on load) is an error here.
// Errors name the offset in src.
StatusOr<storage::Entry*> DecodeValue(uint8_t type, RdbSource& src, std::string_view key,
                                      bool has_expire, int64_t expire_ms, const RdbLimits& limits);
// As DecodeValue, but an empty collection is read completely and gives
// nullptr (the loader skips such keys, as Redis does).
StatusOr<storage::Entry*> DecodeValueOrEmpty(uint8_t type, RdbSource& src, std::string_view key,
                                             bool has_expire, int64_t expire_ms,
                                             const RdbLimits& limits);

// RESTORE: checks the footer (version <= kRdbVersion, CRC) and fails with
// "ERR DUMP payload version or checksum are wrong"; then decodes, and any
// decoding failure, empty value or trailing byte gives "ERR Bad data format".
StatusOr<storage::Entry*> RestorePayload(std::string_view payload, std::string_view key,
                                         bool has_expire, int64_t expire_ms,
                                         const RdbLimits& limits);

}  // namespace basalt::persistence
