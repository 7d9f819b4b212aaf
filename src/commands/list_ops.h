// List operations shared by the list commands (list_family.cc) and the
// blocking list commands (BLPOP BRPOP BLMPOP BLMOVE BRPOPLPUSH), which serve a
// client with exactly what the non-blocking command would do: same reply
// data, same write-log entry, same keyspace events, emptied keys deleted.
//
// None of these functions replies to the client: they report what happened
// and the caller writes the reply (or, for a blocked client, wakes it).
// OpPop and OpMove only change the keyspace (the storage operations of LPOP,
// RPOP, LMPOP, LMOVE and RPOPLPUSH); PopElements and MoveElement add the
// write-log entry and the keyspace events, for the blocking commands.
//
// Thread-safety: every function REQUIRES the shard locks of the keys it is
// given to be held by the caller (KeyGuard or storage::LockSet), and runs on
// the worker thread executing the command.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "commands/command_context.h"
#include "commands/helpers.h"
#include "common/status.h"
#include "storage/keyspace.h"

namespace basalt::storage {
class ListObject;
}

namespace basalt::commands {

enum class ListEnd { kLeft, kRight };

// Parses "LEFT" / "RIGHT" (any case).
bool ParseListEnd(std::string_view s, ListEnd* out);

// The keyspace events of a push and a pop at `end`.
inline const char* PushEvent(ListEnd end) { return end == ListEnd::kLeft ? "lpush" : "rpush"; }
inline const char* PopEvent(ListEnd end) { return end == ListEnd::kLeft ? "lpop" : "rpop"; }

enum class ListState { kMissing, kList, kWrongType };
// What `k` holds, looked up as a write command does (no keyspace hit/miss
// counting). Sets *list when it is a list.
ListState LookupListForWrite(const LockedKey& k, storage::ListObject** list);

// The first of `keys` that holds a list, as LMPOP/BLPOP/BLMPOP scan them:
// keys that do not exist are skipped; a key of another type ends the scan
// with kWrongType (even if a later key holds a list). On kList, *index is the
// position in `keys` of the list found. With skip_wrong_type (a woken
// blocked client) keys of another type are skipped like missing ones.
ListState FindFirstList(std::span<const LockedKey> keys, size_t* index,
                        bool skip_wrong_type = false);

// What OpPop took from a list.
struct ListPop {
  bool found = false;              // the key held a list
  std::vector<std::string> items;  // in the order popped
  bool deleted = false;            // the list was emptied and its key deleted
};

// Pops up to `count` (>= 0; 0 changes nothing) elements from `end` of the
// list at `k`, deleting the key when emptied. WRONGTYPE when `k` holds
// another type; !found, changing nothing, when it is missing.
StatusOr<ListPop> OpPop(const LockedKey& k, ListEnd end, int64_t count);

// How a pop is written to the write log (as Redis 7.0 propagates it).
enum class PopLog {
  kAsIs,       // the client's command unchanged (LPOP, RPOP)
  kSingle,     // "LPOP key" / "RPOP key" (BLPOP, BRPOP)
  kWithCount,  // "LPOP key <popped>" / "RPOP key <popped>" (LMPOP, BLMPOP)
};

// Pops up to `count` (>= 1) elements from `end` of the list at `k` and
// appends them to *out in the order popped. Deletes the key when emptied;
// propagates as `log` says; fires "lpop"/"rpop" (then "del" when emptied).
// Returns false, changing nothing, when `k` holds no list (missing or another
// type: check with LookupListForWrite / FindFirstList first).
bool PopElements(CommandContext& ctx, const LockedKey& k, ListEnd end, int64_t count, PopLog log,
                 std::vector<std::string>* out);
inline bool PopElements(CommandContext& ctx, KeyGuard& g, ListEnd end, int64_t count, PopLog log,
                        std::vector<std::string>* out) {
  return PopElements(ctx, Locked(g), end, count, log, out);
}

enum class MoveResult {
  kMoved,      // *out holds the element moved
  kNoSource,   // src holds no list: nothing changed (dst is not checked)
  kWrongType,  // src or dst holds another type: nothing changed
};

// What OpMove did.
struct ListMove {
  bool moved = false;        // false: src held no list, nothing changed
  std::string value;         // the element moved
  bool src_deleted = false;  // src was emptied and its key deleted
};

// LMOVE's storage operation: pops one element from `from` of the list at src
// and pushes it at `to` of the list at dst (created with `fill` as its
// list-max-listpack-size when missing; src and dst may be the same key).
// WRONGTYPE, changing nothing, when src holds another type, or when src
// holds a list and dst another type (a missing src is !moved before dst is
// checked). REQUIRES: the shard locks of src and dst are held.
StatusOr<ListMove> OpMove(const LockedKey& src, const LockedKey& dst, ListEnd from, ListEnd to,
                          int64_t fill);

// LMOVE: pops one element from `from` of the list at src and pushes it at
// `to` of the list at dst (created if missing; src and dst may be the same
// key). Propagates `log_args` (the client's command when empty: pass e.g.
// {"LMOVE", src, dst, wherefrom, whereto} for BLMOVE, {"RPOPLPUSH", src, dst}
// for BRPOPLPUSH); fires "lpush"/"rpush" on dst, then "lpop"/"rpop" on src,
// then "del" on src when emptied.
// REQUIRES: the shard locks of src and dst are held.
MoveResult MoveElement(CommandContext& ctx, const LockedKey& src, const LockedKey& dst,
                       ListEnd from, ListEnd to, std::span<const std::string_view> log_args,
                       std::string* out);

}  // namespace basalt::commands
