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

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
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

void SortGeneric(CommandContext& ctx, bool readonly) {
  std::string_view by, store;
  bool has_by = false, has_store = false, desc = false, alpha = false, dontsort = false;
  int64_t limit_start = 0, limit_count = -1;
  std::vector<std::string_view> gets;
  auto& a = ctx.args;
  for (size_t j = 2; j < a.size(); j++) {
    size_t left = a.size() - j - 1;
    if (EqualsIgnoreCase(a[j], "asc")) {
      desc = false;
    } else if (EqualsIgnoreCase(a[j], "desc")) {
      desc = true;
    } else if (EqualsIgnoreCase(a[j], "alpha")) {
      alpha = true;
    } else if (EqualsIgnoreCase(a[j], "limit") && left >= 2) {
      auto s = IntArg(ctx, a[j + 1]);
      if (!s) return;
      auto c = IntArg(ctx, a[j + 2]);
      if (!c) return;
      limit_start = *s;
      limit_count = *c;
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(a[j], "store") && left >= 1) {
      store = a[++j];
      has_store = true;
    } else if (EqualsIgnoreCase(a[j], "by") && left >= 1) {
      by = a[++j];
      has_by = true;
      // A pattern without '*' means "do not sort" (BY nosort).
      if (by.find('*') == std::string_view::npos) dontsort = true;
    } else if (EqualsIgnoreCase(a[j], "get") && left >= 1) {
      gets.push_back(a[++j]);
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  storage::Database& db = ctx.db();
  storage::LockSet locks;
  locks.AddAll(db);
  locks.Acquire();
  Entry* src = FindLocked(db, a[1]);
  if (src != nullptr && !Holds<storage::ListObject>(src) && !Holds<storage::SetObject>(src) &&
      !Holds<storage::ZSetObject>(src)) {
    ctx.Error(errors::kWrongType);
    return;
  }
  // A set has no order of its own: when the result is stored, sort it anyway
  // so that replicas and the AOF get the same list.
  if (dontsort && src != nullptr && Holds<storage::SetObject>(src) && has_store) {
    dontsort = false;
    alpha = true;
    has_by = false;
  }
  std::vector<Item> items;
  if (src != nullptr) {
    switch (src->type()) {
      case ValueType::kList: {
        auto* l = static_cast<storage::ListObject*>(src->obj());
        for (auto it = l->Begin(); it.Valid(); it.Next()) items.emplace_back(std::string(it.value()));
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
        if (dontsort && desc) std::reverse(items.begin(), items.end());
        break;
      }
      default:
        break;
    }
  }
  if (!dontsort) {
    for (Item& it : items) {
      std::optional<std::string> byval;
      if (has_by) {
        byval = LookupByPattern(db, by, it.elem);
      }
      if (alpha) {
        if (has_by) it.cmp = std::move(byval);
      } else {
        const std::string* text = has_by ? (byval ? &*byval : nullptr) : &it.elem;
        if (text != nullptr && !ToScore(*text, &it.score)) {
          ctx.Error(errors::kSortScoreNotDouble);
          return;
        }
      }
    }
    auto cmp = [&](const Item& x, const Item& y) {
      int c;
      if (!alpha) {
        c = x.score < y.score ? -1 : x.score > y.score ? 1 : x.elem.compare(y.elem);
      } else if (has_by) {
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
      return desc ? c > 0 : c < 0;
    };
    std::stable_sort(items.begin(), items.end(), cmp);
  }
  // LIMIT, with Redis's clamping.
  int64_t n = int64_t(items.size());
  int64_t start = limit_start < 0 ? 0 : limit_start;
  int64_t end = limit_count < 0 ? n - 1 : start + limit_count - 1;
  if (start >= n) {
    start = n - 1;
    end = n - 2;
  }
  if (end >= n) end = n - 1;
  std::vector<std::optional<std::string>> out;
  for (int64_t i = start; i <= end; i++) {
    const std::string& e = items[size_t(i)].elem;
    if (gets.empty()) {
      out.emplace_back(e);
    } else {
      for (auto g : gets) out.push_back(LookupByPattern(db, g, e));
    }
  }
  if (!has_store) {
    ctx.reply.ArrayHeader(out.size());
    for (const auto& v : out) {
      if (v) {
        ctx.reply.Bulk(*v);
      } else {
        ctx.reply.Null();
      }
    }
    return;
  }
  uint64_t hd = HashKey(store);
  storage::Shard& ds = db.ShardFor(hd);
  Entry** dlink = ds.FindLink(store, hd, false);
  if (out.empty()) {
    if (dlink != nullptr) {
      ds.Delete(dlink);
      ctx.Changed(store, "del", kNotifyGeneric);
      ctx.PropagateAsIs();
    }
    ctx.reply.Integer(0);
    return;
  }
  auto* list = new storage::ListObject(ctx.config().list_max_listpack_size());
  for (const auto& v : out) list->PushBack(v ? std::string_view(*v) : std::string_view());
  Entry* e = storage::EntryBuilder::Object(store, ValueType::kList, list, false, 0);
  if (dlink != nullptr) {
    ds.Overwrite(dlink, e);
  } else {
    ds.Add(e, hd);
  }
  ctx.Changed(store, "sortstore", kNotifyList);
  ctx.PropagateAsIs();
  ctx.reply.Integer(int64_t(out.size()));
}

void CmdSort(CommandContext& ctx) { SortGeneric(ctx, false); }
void CmdSortRo(CommandContext& ctx) { SortGeneric(ctx, true); }

}  // namespace

void RegisterSortFamily(CommandTable& t) {
  KeySpec source;
  source.flags = "RO ACCESS";
  source.begin_index = 1;
  KeySpec dest;
  dest.flags = "OW UPDATE";
  dest.keyword = "STORE";
  dest.keyword_startfrom = 1;
  t.Add(Spec("generic", "sort", -2, kWrite | kDenyOom | kMovableKeys, 1, 1, 1,
             "@write @set @sortedset @list @slow @dangerous", CmdSort))
      .key_specs = {source, dest};
  t.Add(Spec("generic", "sort_ro", -2, kReadOnly | kMovableKeys, 1, 1, 1,
             "@read @set @sortedset @list @slow @dangerous", CmdSortRo))
      .key_specs = {source};
}

}  // namespace basalt::commands
