// SORT and SORT_RO.
//
// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
//      [ASC | DESC] [ALPHA] [STORE destination]
// Sorts the elements of a list, set or sorted set numerically (or by bytes
// with ALPHA), optionally by the values of other keys (BY pattern, where '*'
// is replaced by the element and "->field" reads a hash field), and returns
// them or the values of other keys (GET). Patterns read arbitrary keys, so
// SORT locks every shard of the database while it runs.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/executor.h"
#include "commands/helpers.h"
#include "common/status.h"
#include "storage/hash_type.h"
#include "storage/list_type.h"
#include "storage/set_type.h"
#include "storage/zset_type.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::ValueType;

// REQUIRES: every shard of db is locked.
Entry* FindLocked(storage::Database& db, std::string_view key) {
  uint64_t h = HashKey(key);
  return db.ShardFor(h).Find(key, h);
}

// The value a BY/GET pattern designates for element `subst`, or nullopt
// (no '*' in the pattern, missing key, wrong type, missing hash field).
std::optional<std::string> LookupByPattern(storage::Database& db, std::string_view pattern,
                                           std::string_view subst) {
  if (pattern == "#") return std::string(subst);
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  size_t arrow = pattern.find("->", star + 1);
  if (arrow != std::string_view::npos && arrow + 2 == pattern.size()) arrow = std::string_view::npos;
  std::string key(pattern.substr(0, star));
  key.append(subst);
  size_t post_end = arrow == std::string_view::npos ? pattern.size() : arrow;
  key.append(pattern.substr(star + 1, post_end - star - 1));
  Entry* e = FindLocked(db, key);
  if (e == nullptr) return std::nullopt;
  if (arrow != std::string_view::npos) {
    if (!Holds<storage::HashObject>(e)) return std::nullopt;
    auto v = static_cast<storage::HashObject*>(e->obj())->Get(pattern.substr(arrow + 2));
    if (!v) return std::nullopt;
    return std::string(*v);
  }
  if (!Holds<Entry>(e)) return std::nullopt;
  char buf[32];
  return std::string(e->StringValue(buf));
}

struct Item {
  explicit Item(std::string e) : elem(std::move(e)) {}
  std::string elem;
  double score = 0;
  std::optional<std::string> cmp;  // BY value for ALPHA sorting
};

// Redis converts with strtod over the whole value ("" is 0, leading spaces are
// fine) and rejects trailing junk, overflow and NaN.
bool ToScore(const std::string& s, double* out) {
  errno = 0;
  char* end = nullptr;
  *out = strtod(s.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

// The options of SORT and SORT_RO.
struct SortOptions {
  std::string_view by, store;
  bool has_by = false, has_store = false, desc = false, alpha = false, dontsort = false;
  int64_t limit_start = 0, limit_count = -1;
  std::vector<std::string_view> gets;
};

// Parses the options from args[2] on as Redis 7.0 does (the last ASC/DESC, BY
// and STORE win; GETs accumulate; SORT_RO knows no STORE). On error replies
// and returns false.
bool ParseSortOptions(CommandContext& ctx, bool readonly, SortOptions* o) {
  ArgParser p(ctx.args, 2);
  // BY with a pattern and GET read other keys: only for a user who may read
  // every key (Redis refuses them otherwise).
  int full_access = -1;
  auto full = [&] {
    if (full_access < 0) {
      full_access = ctx.host.executor().AclFullKeyAccess(ctx.session, ctx.spec, ctx.args);
    }
    return full_access == 1;
  };
  while (p.HasNext()) {
    if (p.Check("ASC")) {
      o->desc = false;
    } else if (p.Check("DESC")) {
      o->desc = true;
    } else if (p.Check("ALPHA")) {
      o->alpha = true;
    } else if (p.remaining() >= 3 && p.Check("LIMIT")) {
      o->limit_start = p.Next<int64_t>();
      o->limit_count = p.Next<int64_t>();
    } else if (!readonly && p.remaining() >= 2 && p.Check("STORE")) {
      o->store = p.Next<std::string_view>();
      o->has_store = true;
    } else if (p.remaining() >= 2 && p.Check("BY")) {
      o->by = p.Next<std::string_view>();
      o->has_by = true;
      // A pattern without '*' means "do not sort" (BY nosort).
      if (o->by.find('*') == std::string_view::npos) {
        o->dontsort = true;
      } else if (!full()) {
        ctx.Error("ERR BY option of SORT denied due to insufficient ACL permissions.");
        return false;
      }
    } else if (p.remaining() >= 2 && p.Check("GET")) {
      o->gets.push_back(p.Next<std::string_view>());
      if (!full()) {
        ctx.Error("ERR GET option of SORT denied due to insufficient ACL permissions.");
        return false;
      }
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) {
    ctx.Error(p.error());
    return false;
  }
  return true;
}

// ---------------------------------------------------------------- Operations
// What SORT does to the keyspace, apart from parsing and replying. Knows
// nothing of RESP.

struct SortResult {
  // The sorted elements after LIMIT, or for each the values of the GET
  // patterns; nullopt where a GET pattern designates nothing.
  std::vector<std::optional<std::string>> values;
  bool dst_deleted = false;  // STORE: an empty result deleted the destination
};

// Sorts the list, set or sorted set at key as `o` says, and with STORE writes
// the result as a list at o.store (deleting it when the result is empty).
// REQUIRES: every shard of db is locked (patterns may read any key).
StatusOr<SortResult> OpSort(storage::Database& db, std::string_view key, SortOptions o,
                            int64_t list_max_listpack_size) {
  Entry* src = FindLocked(db, key);
  if (src != nullptr && !Holds<storage::ListObject>(src) && !Holds<storage::SetObject>(src) &&
      !Holds<storage::ZSetObject>(src)) {
    return Status::Error(errors::kWrongType);
  }
  // Redis turns a sorted set into its skiplist encoding before it sorts it,
  // whatever the options (OBJECT ENCODING shows it afterwards).
  if (src != nullptr && Holds<storage::ZSetObject>(src)) {
    static_cast<storage::ZSetObject*>(src->obj())->ConvertToSkiplist();
  }
  // A set has no order of its own: when the result is stored, sort it anyway
  // so that replicas and the AOF get the same list.
  if (o.dontsort && src != nullptr && Holds<storage::SetObject>(src) && o.has_store) {
    o.dontsort = false;
    o.alpha = true;
    o.has_by = false;
  }
  std::vector<Item> items;
  if (src != nullptr) {
    switch (src->type()) {
      case ValueType::kList: {
        auto* l = static_cast<storage::ListObject*>(src->obj());
        for (auto it = l->Begin(); it.Valid(); it.Next()) items.emplace_back(std::string(it.value()));
        // Unsorted, a list keeps its order, read from the tail with DESC (as Redis does).
        if (o.dontsort && o.desc) std::reverse(items.begin(), items.end());
        break;
      }
      case ValueType::kSet: {
        auto* s = static_cast<storage::SetObject*>(src->obj());
        for (auto& m : s->Members()) items.emplace_back(std::move(m));
        break;
      }
      case ValueType::kZSet: {
        std::vector<storage::ZMemberScore> all;
        static_cast<storage::ZSetObject*>(src->obj())->AppendAll(&all);
        for (auto& ms : all) items.emplace_back(std::string(ms.member));
        if (o.dontsort && o.desc) std::reverse(items.begin(), items.end());
        break;
      }
      default:
        break;
    }
  }
  if (!o.dontsort) {
    for (Item& it : items) {
      std::optional<std::string> byval;
      if (o.has_by) {
        byval = LookupByPattern(db, o.by, it.elem);
      }
      if (o.alpha) {
        if (o.has_by) it.cmp = std::move(byval);
      } else {
        const std::string* text = o.has_by ? (byval ? &*byval : nullptr) : &it.elem;
        if (text != nullptr && !ToScore(*text, &it.score)) {
          return Status::Error(errors::kSortScoreNotDouble);
        }
      }
    }
    auto cmp = [&](const Item& x, const Item& y) {
      int c;
      if (!o.alpha) {
        c = x.score < y.score ? -1 : x.score > y.score ? 1 : x.elem.compare(y.elem);
      } else if (o.has_by) {
        if (!x.cmp || !y.cmp) {
          c = (x.cmp.has_value() == y.cmp.has_value()) ? 0 : (!x.cmp ? -1 : 1);
        } else {
          c = x.cmp->compare(*y.cmp);
        }
      } else {
        c = x.elem.compare(y.elem);
      }
      if (c < 0) c = -1;
      if (c > 0) c = 1;
      return o.desc ? c > 0 : c < 0;
    };
    std::stable_sort(items.begin(), items.end(), cmp);
  }
  // LIMIT, with Redis's clamping.
  int64_t n = int64_t(items.size());
  int64_t start = o.limit_start < 0 ? 0 : o.limit_start;
  int64_t end;
  if (start >= n) {
    start = n - 1;
    end = n - 2;
  } else {
    // start < n here, so a count clamped to n cannot overflow.
    end = o.limit_count < 0 ? n - 1 : start + std::min(o.limit_count, n) - 1;
  }
  if (end >= n) end = n - 1;
  SortResult r;
  std::vector<std::optional<std::string>>& out = r.values;
  for (int64_t i = start; i <= end; i++) {
    const std::string& e = items[size_t(i)].elem;
    if (o.gets.empty()) {
      out.emplace_back(e);
    } else {
      for (auto g : o.gets) out.push_back(LookupByPattern(db, g, e));
    }
  }
  if (!o.has_store) return r;
  LockedKey dst = Locked(db, o.store);
  Entry** dlink = dst.shard.FindLink(dst.key, dst.hash, false);
  if (out.empty()) {
    if (dlink != nullptr) {
      dst.shard.Delete(dlink);
      r.dst_deleted = true;
    }
    return r;
  }
  auto* list = new storage::ListObject(list_max_listpack_size);
  for (const auto& v : out) list->PushBack(v ? std::string_view(*v) : std::string_view());
  Entry* e = storage::EntryBuilder::Object(dst.key, ValueType::kList, list, false, 0);
  if (dlink != nullptr) {
    dst.shard.Overwrite(dlink, e);
  } else {
    dst.shard.Add(e, dst.hash);
  }
  return r;
}

// ---------------------------------------------------------------- Handlers

// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
//      [ASC | DESC] [ALPHA] [STORE destination]
// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
//      [ASC | DESC] [ALPHA]
void SortGeneric(CommandContext& ctx, bool readonly) {
  SortOptions o;
  if (!ParseSortOptions(ctx, readonly, &o)) return;
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  locks.AddAll(db);
  locks.Acquire();
  StatusOr<SortResult> r = OpSort(db, ctx.args[1], o, ctx.config().list_max_listpack_size());
  if (!r.ok()) return ctx.Error(r.status().message());
  if (!o.has_store) {
    ctx.reply.ArrayHeader(r->values.size());
    for (const auto& v : r->values) {
      if (v) {
        ctx.reply.Bulk(*v);
      } else {
        ctx.reply.Null();
      }
    }
    return;
  }
  if (!r->values.empty()) {
    ctx.Changed(o.store, "sortstore", kNotifyList);
    ctx.PropagateAsIs();
  } else if (r->dst_deleted) {
    ctx.Changed(o.store, "del", kNotifyGeneric);
    ctx.PropagateAsIs();
  }
  ctx.reply.Integer(int64_t(r->values.size()));
}

// SORT key ...
void CmdSort(CommandContext& ctx) { SortGeneric(ctx, false); }
// SORT_RO key ...
void CmdSortRo(CommandContext& ctx) { SortGeneric(ctx, true); }

}  // namespace

void RegisterSortFamily(CommandTable& t) {
  t.Add(Spec("generic", "sort", -2, kWrite | kDenyOom | kMovableKeys, 1, 1, 1,
             "@write @set @sortedset @list @slow @dangerous", CmdSort));
  t.Add(Spec("generic", "sort_ro", -2, kReadOnly | kMovableKeys, 1, 1, 1,
             "@read @set @sortedset @list @slow @dangerous", CmdSortRo));
}

}  // namespace basalt::commands
