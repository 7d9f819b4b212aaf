// Helpers shared by command families: locking the shard of a key, argument
// parsing with Redis's error texts, expire-time arithmetic.
// Thread-safety: KeyGuard holds a shard lock for its lifetime; use on the
// client's worker thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "commands/command_context.h"
#include "commands/command_stats.h"
#include "commands/errors.h"
#include "common/hash.h"
#include "common/numbers.h"
#include "common/strings.h"
#include "config/config.h"
#include "storage/hash_type.h"
#include "storage/keyspace.h"
#include "storage/list_type.h"
#include "storage/set_type.h"
#include "storage/stream_type.h"
#include "storage/zset_type.h"

namespace basalt::commands {

// Locks the shard that holds `key` in `db`.
class KeyGuard {
 public:
  KeyGuard(storage::Database& db, std::string_view key)
      : key_(key), hash_(HashKey(key)), shard_(db.ShardFor(hash_)), lock_(shard_) {}
  storage::Entry** FindLink(bool touch = true) { return shard_.FindLink(key_, hash_, touch); }
  storage::Entry* Find(bool touch = true) { return shard_.Find(key_, hash_, touch); }
  void Add(storage::Entry* e) { shard_.Add(e, hash_); }
  storage::Shard& shard() { return shard_; }
  uint64_t hash() const { return hash_; }
  std::string_view key() const { return key_; }

 private:
  std::string_view key_;
  uint64_t hash_;
  storage::Shard& shard_;
  storage::ShardLock lock_;
};

// A key in the client's database whose shard lock the caller holds.
struct LockedKey {
  storage::Shard& shard;
  std::string_view key;
  uint64_t hash;
};
inline LockedKey Locked(KeyGuard& g) { return LockedKey{g.shard(), g.key(), g.hash()}; }
// For keys locked through a LockSet.
inline LockedKey Locked(storage::Database& db, std::string_view key) {
  uint64_t h = HashKey(key);
  return LockedKey{db.ShardFor(h), key, h};
}


// Parses an integer argument; on failure replies with Redis's error.
inline std::optional<int64_t> IntArg(CommandContext& ctx, std::string_view s) {
  auto v = ParseInt64(s);
  if (!v) ctx.Error(errors::kNotInteger);
  return v;
}

// Parses a database index (SELECT, MOVE, COPY DB).
std::optional<int> DbIndexArg(CommandContext& ctx, std::string_view s);

// Converts a relative or absolute expire argument to absolute ms, with
// Redis's overflow checks. `unit_ms` is 1000 for seconds, 1 for ms. Replies
// "invalid expire time in '<cmd>' command" on overflow or (if `positive`)
// non-positive values.
std::optional<int64_t> ExpireArgToAbsMs(CommandContext& ctx, std::string_view arg,
                                        int64_t unit_ms, bool relative, bool positive);

std::string InvalidExpireError(const CommandContext& ctx);

// Parses a SCAN-family cursor as Redis does (strtoul in base 10: "-1" wraps,
// "" is 0, a leading space or trailing junk is refused); on failure replies
// "ERR invalid cursor".
std::optional<uint64_t> CursorArg(CommandContext& ctx, std::string_view s);

// Counts a read lookup of `key` as a keyspace hit or miss (INFO
// keyspace_hits/misses); a miss also fires the "keymiss" notification
// (class m), exactly where Redis fires it.
void CountHit(CommandContext& ctx, std::string_view key, bool hit);

// Looks up the guarded key for a read command that works on `type`: counts
// the keyspace hit or miss, replies WRONGTYPE and returns false for another
// type. *out is the entry, or nullptr when the key is missing.
bool LookupTyped(CommandContext& ctx, KeyGuard& g, storage::ValueType type,
                 storage::Entry** out);

// The value a type's commands work on: the Object subclass of a collection,
// or the Entry itself for strings (whose value lives in the entry).
template <typename T>
struct ValueTraits;
template <>
struct ValueTraits<storage::Entry> {
  static constexpr storage::ValueType kType = storage::ValueType::kString;
  static storage::Entry* From(storage::Entry* e) { return e; }
};
template <typename T>
struct CollectionTraits {
  static T* From(storage::Entry* e) { return static_cast<T*>(e->obj()); }
};
template <>
struct ValueTraits<storage::HashObject> : CollectionTraits<storage::HashObject> {
  static constexpr storage::ValueType kType = storage::ValueType::kHash;
};
template <>
struct ValueTraits<storage::ListObject> : CollectionTraits<storage::ListObject> {
  static constexpr storage::ValueType kType = storage::ValueType::kList;
};
template <>
struct ValueTraits<storage::SetObject> : CollectionTraits<storage::SetObject> {
  static constexpr storage::ValueType kType = storage::ValueType::kSet;
};
template <>
struct ValueTraits<storage::ZSetObject> : CollectionTraits<storage::ZSetObject> {
  static constexpr storage::ValueType kType = storage::ValueType::kZSet;
};
template <>
struct ValueTraits<storage::StreamObject> : CollectionTraits<storage::StreamObject> {
  static constexpr storage::ValueType kType = storage::ValueType::kStream;
};

// Whether e (non-null) holds a T.
template <typename T>
bool Holds(const storage::Entry* e) {
  return e->type() == ValueTraits<T>::kType;
}
// e's value as a T. REQUIRES: Holds<T>(e).
template <typename T>
T* ValueAs(storage::Entry* e) {
  return ValueTraits<T>::From(e);
}

// The one lookup for a read command on a T (Entry for strings): counts the
// keyspace hit or miss; replies WRONGTYPE and returns false for another type.
// *out is null when the key is missing.
template <typename T>
bool LookupForRead(CommandContext& ctx, KeyGuard& g, T** out) {
  storage::Entry* e;
  if (!LookupTyped(ctx, g, ValueTraits<T>::kType, &e)) return false;
  *out = e == nullptr ? nullptr : ValueAs<T>(e);
  return true;
}

// The one lookup for a write command on a T: no hit/miss counting (Redis
// counts reads only); replies WRONGTYPE and returns false for another type.
// *link is the entry's link in its chain, null when the key is missing.
template <typename T>
bool LookupForWrite(CommandContext& ctx, KeyGuard& g, storage::Entry*** link) {
  storage::Entry** l = g.FindLink();
  if (l != nullptr && !Holds<T>(*l)) {
    ctx.Error(errors::kWrongType);
    return false;
  }
  *link = l;
  return true;
}

// Writes the string value of an entry as a bulk reply.
void ReplyStringValue(CommandContext& ctx, const storage::Entry* e);

std::string_view TypeName(storage::ValueType t);

// A command table row: group, name, arity, flags ("write denyoom"), key
// positions, ACL categories, handler.
// OBJECT ENCODING's name for e's value ("int", "embstr", "raw", "quicklist", ...).
std::string_view EncodingName(const storage::Entry* e);

CommandSpec Spec(const char* group, const char* name, int arity, CommandFlag flags, int first,
                 int last, int step, const char* acl, Handler h);

}  // namespace basalt::commands
