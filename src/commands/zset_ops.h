// Sorted-set operations shared by the sorted-set commands (zset_family.cc,
// zset_range.cc) and the blocking ones built on them (BZPOPMIN BZPOPMAX
// BZMPOP), which must serve a client with exactly what the non-blocking
// command would do: same reply data, same write-log entry, same keyspace
// events, emptied keys deleted.
//
// Also the argument parsing Redis applies to scores and ranges, so every
// command rejects the same inputs with the same error text.
//
// Thread-safety: functions taking a LockedKey REQUIRE the caller to hold
// that key's shard lock (KeyGuard or storage::LockSet); they run on the
// worker thread executing the command. The parsers are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command_context.h"
#include "commands/helpers.h"
#include "common/status.h"
#include "storage/keyspace.h"
#include "storage/zset_type.h"

namespace basalt::commands {

// --- Parsing ---
// A score argument (ZADD, ZINCRBY, WEIGHTS): the whole argument must be a
// strtod number, no leading space, not NaN; overflow to +/-inf and
// underflow to 0 are rejected (denormals are fine), "inf"/"-inf" accepted.
std::optional<double> ParseZScore(std::string_view s);
// ZRANGEBYSCORE-style bounds: "(" makes a bound exclusive; otherwise
// strtod's leniency (leading spaces, "" as 0, overflow to inf) as Redis has it.
bool ParseZScoreRange(std::string_view min, std::string_view max, storage::ZScoreRange* out);
// ZRANGEBYLEX-style bounds: "-", "+", "[member" or "(member". The views in
// *out point into the arguments.
bool ParseZLexRange(std::string_view min, std::string_view max, storage::ZLexRange* out);

// The listpack limits from the server config.
storage::ZSetObject::Limits ZSetLimits(CommandContext& ctx);

// One score-member pair of ZADD/ZINCRBY.
struct ZAddItem {
  double score;
  std::string_view member;
};

// What ZADD/ZINCRBY did.
struct ZAddResult {
  int64_t added = 0, updated = 0;
  int64_t processed = 0;  // members added, updated or left unchanged (not skipped)
  double score = 0;       // the last member's score after the command (INCR's reply)
};

// Adds or updates `items` (at least one) in the sorted set at g's key with
// ZSetObject's kAdd* `flags`, creating the set unless XX (its encoding
// chosen by the first member's length, as Redis does). WRONGTYPE for another
// type; kZNaNResult when INCR would make a score NaN (only INCR's single
// pair can, so nothing has changed then).
// (GEOADD adds through it too.)
StatusOr<ZAddResult> OpZAdd(KeyGuard& g, int flags, std::span<const ZAddItem> items,
                            const storage::ZSetObject::Limits& limits);

enum class ZState { kMissing, kZSet, kWrongType };
// What `k` holds, looked up as a write command does (no hit/miss counting).
// Sets *z when it is a sorted set.
ZState LookupZSetForWrite(const LockedKey& k, storage::ZSetObject** z);
// The first of `keys` holding a sorted set, as ZMPOP/BZMPOP scan them:
// missing keys are skipped; a key of another type ends the scan with
// kWrongType (skipped instead with skip_wrong_type, for a woken blocked
// client). On kZSet, *index is the position in `keys`.
ZState FindFirstZSet(std::span<const LockedKey> keys, size_t* index,
                     bool skip_wrong_type = false);

// --- Pops ---
struct ZPopped {
  std::string member;
  double score;
};

// How a pop is written to the write log (as Redis 7.0 propagates it).
enum class ZPopLog {
  kAsIs,       // the client's command unchanged (ZPOPMIN / ZPOPMAX)
  kSingle,     // "ZPOPMIN key" / "ZPOPMAX key" (BZPOPMIN / BZPOPMAX)
  kWithCount,  // "ZPOPMIN key <popped>" / "ZPOPMAX key <popped>" (ZMPOP / BZMPOP)
};

// What OpZPop took from a sorted set.
struct ZPop {
  bool found = false;          // the key held a sorted set
  std::vector<ZPopped> items;  // in pop order
  bool deleted = false;        // the set was emptied and its key deleted
};

// The storage operation of ZPOPMIN/ZPOPMAX/ZMPOP: pops up to `count` (< 1
// changes nothing) members with the lowest scores (highest with `max`) from
// the sorted set at `k`, deleting the key when emptied. WRONGTYPE when `k`
// holds another type; !found, changing nothing, when it is missing.
StatusOr<ZPop> OpZPop(const LockedKey& k, bool max, int64_t count);

// The keyspace event of a pop.
inline const char* ZPopEvent(bool max) { return max ? "zpopmax" : "zpopmin"; }

// OpZPop for the blocking commands: pops up to `count` (>= 1) members,
// appending them to *out in pop order; propagates as `log` says; fires
// "zpopmin"/"zpopmax" (then "del" when emptied). Returns false, changing
// nothing, when `k` holds no sorted set (check the type first with
// LookupZSetForWrite / FindFirstZSet).
bool ZPopElements(CommandContext& ctx, const LockedKey& k, bool max, int64_t count, ZPopLog log,
                  std::vector<ZPopped>* out);

// --- Replies ---
// ZPOPMIN/ZPOPMAX: a flat [member, score, ...] array, except with an
// explicit count under RESP3, where each pair is its own 2-element array.
void ReplyZPopped(CommandContext& ctx, std::span<const ZPopped> popped, bool had_count);
// ZMPOP/BZMPOP: [key, [[member, score], ...]] in both protocols.
void ReplyZMPop(CommandContext& ctx, std::string_view key, std::span<const ZPopped> popped);
// A ZRANGE-style result: members only, or with scores (RESP2 flat,
// RESP3 [member, score] pairs).
void ReplyScored(CommandContext& ctx, std::span<const storage::ZMemberScore> items,
                 bool withscores);

// What OpStoreZSet did to the destination.
enum class ZStored {
  kUnchanged,  // nothing to store and dst was missing
  kDeleted,    // nothing to store: dst was deleted
  kStored,     // dst now holds the result
};

// The storage operation of ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE/ZRANGESTORE:
// stores `sorted` (ascending, no duplicates) as the sorted set at `dst`,
// replacing whatever was there (of any type, and its TTL), or deletes `dst`
// when `sorted` is empty. `sorted` may point into dst's old value.
ZStored OpStoreZSet(const LockedKey& dst, std::span<const storage::ZMemberScore> sorted,
                    const storage::ZSetObject::Limits& limits);

// After a *STORE operation: propagates the command as sent and fires `event`
// (or "del" when the destination was deleted); nothing when unchanged.
void FinishZStore(CommandContext& ctx, std::string_view dst, ZStored stored,
                  std::string_view event);

// --- Registration ---
// Registered by RegisterZSetFamily: the ZRANGE family, ZRANGESTORE and the
// ZREMRANGEBY* commands (zset_range.cc).
void RegisterZSetRangeCommands(CommandTable& t);

}  // namespace basalt::commands
