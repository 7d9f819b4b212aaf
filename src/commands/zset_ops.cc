#include "commands/zset_ops.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>

#include "commands/errors.h"

namespace basalt::commands {

using storage::Entry;
using storage::EntryBuilder;
using storage::ValueType;
using storage::ZSetObject;

namespace {

// strtod needs a NUL-terminated copy; most arguments fit the stack buffer.
class CString {
 public:
  explicit CString(std::string_view s) {
    if (s.size() < sizeof(buf_)) {
      memcpy(buf_, s.data(), s.size());
      buf_[s.size()] = '\0';
      p_ = buf_;
    } else {
      heap_.assign(s);
      p_ = heap_.data();
    }
  }
  const char* c_str() const { return p_; }

 private:
  char buf_[128];
  std::string heap_;
  const char* p_;
};

// One bound of a score range. Redis parses it with strtod over the C string,
// so an embedded NUL ends the number and leading spaces are allowed.
bool ParseScoreBound(std::string_view s, double* v, bool* exclusive) {
  *exclusive = !s.empty() && s[0] == '(';
  if (*exclusive) s.remove_prefix(1);
  CString cs(s);
  char* end = nullptr;
  *v = strtod(cs.c_str(), &end);
  return *end == '\0' && !std::isnan(*v);
}

bool ParseLexBound(std::string_view s, storage::ZLexBound* b) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
      if (s.size() != 1) return false;
      b->kind = storage::ZLexBound::kPlusInf;
      return true;
    case '-':
      if (s.size() != 1) return false;
      b->kind = storage::ZLexBound::kMinusInf;
      return true;
    case '(':
      b->kind = storage::ZLexBound::kExclusive;
      b->value = s.substr(1);
      return true;
    case '[':
      b->kind = storage::ZLexBound::kInclusive;
      b->value = s.substr(1);
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<double> ParseZScore(std::string_view s) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
  CString cs(s);
  char* end = nullptr;
  errno = 0;
  double v = strtod(cs.c_str(), &end);
  if (end != cs.c_str() + s.size()) return std::nullopt;
  if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)) return std::nullopt;
  if (std::isnan(v)) return std::nullopt;
  return v;
}

bool ParseZScoreRange(std::string_view min, std::string_view max, storage::ZScoreRange* out) {
  return ParseScoreBound(min, &out->min, &out->min_exclusive) &&
         ParseScoreBound(max, &out->max, &out->max_exclusive);
}

bool ParseZLexRange(std::string_view min, std::string_view max, storage::ZLexRange* out) {
  return ParseLexBound(min, &out->min) && ParseLexBound(max, &out->max);
}

ZSetObject::Limits ZSetLimits(CommandContext& ctx) {
  int64_t entries = ctx.config().zset_max_listpack_entries();
  int64_t value = ctx.config().zset_max_listpack_value();
  return ZSetObject::Limits{size_t(std::max<int64_t>(entries, 0)),
                            size_t(std::max<int64_t>(value, 0))};
}

ZState LookupZSetForWrite(const LockedKey& k, ZSetObject** z) {
  Entry* e = k.shard.Find(k.key, k.hash);
  if (e == nullptr) return ZState::kMissing;
  if (!Holds<ZSetObject>(e)) return ZState::kWrongType;
  if (z != nullptr) *z = static_cast<ZSetObject*>(e->obj());
  return ZState::kZSet;
}

ZState FindFirstZSet(std::span<const LockedKey> keys, size_t* index, bool skip_wrong_type) {
  for (size_t i = 0; i < keys.size(); i++) {
    ZState st = LookupZSetForWrite(keys[i], nullptr);
    if (st == ZState::kMissing || (skip_wrong_type && st == ZState::kWrongType)) continue;
    if (st == ZState::kZSet) *index = i;
    return st;
  }
  return ZState::kMissing;
}

StatusOr<ZPop> OpZPop(const LockedKey& k, bool max, int64_t count) {
  ZPop pop;
  Entry** link = k.shard.FindLink(k.key, k.hash);
  if (link == nullptr) return pop;
  if (!Holds<ZSetObject>(*link)) return Status::Error(errors::kWrongType);
  pop.found = true;
  if (count < 1) return pop;
  auto* z = ValueAs<ZSetObject>(*link);
  size_t size = z->Size();
  size_t n = uint64_t(count) < size ? size_t(count) : size;
  auto it = z->AtRank(max ? size - 1 : 0);
  for (size_t i = 0; i < n && it.Valid(); i++) {
    pop.items.push_back(ZPopped{std::string(it.member()), it.score()});
    if (max) {
      it.Prev();
    } else {
      it.Next();
    }
  }
  if (max) {
    z->RemoveRangeByRank(size - n, size - 1);
  } else {
    z->RemoveRangeByRank(0, n - 1);
  }
  if (z->Size() == 0) {
    k.shard.Delete(link);
    pop.deleted = true;
  }
  return pop;
}

bool ZPopElements(CommandContext& ctx, const LockedKey& k, bool max, int64_t count, ZPopLog log,
                  std::vector<ZPopped>* out) {
  if (count < 1) return false;
  StatusOr<ZPop> r = OpZPop(k, max, count);
  if (!r.ok() || !r->found) return false;
  size_t n = r->items.size();
  std::string_view cmd = max ? "ZPOPMAX" : "ZPOPMIN";
  switch (log) {
    case ZPopLog::kAsIs:
      ctx.PropagateAsIs();
      break;
    case ZPopLog::kSingle:
      ctx.Propagate({cmd, k.key});
      break;
    case ZPopLog::kWithCount: {
      char buf[24];
      ctx.Propagate({cmd, k.key, std::string_view(buf, FormatInt64(int64_t(n), buf))});
      break;
    }
  }
  // Redis counts one change per member popped (rdb_changes_since_last_save).
  if (n > 1) ctx.host.AddDirty(int64_t(n) - 1);
  ctx.Changed(k.key, ZPopEvent(max), kNotifyZSet);
  if (r->deleted) ctx.Changed(k.key, "del", kNotifyGeneric);
  out->insert(out->end(), std::make_move_iterator(r->items.begin()),
              std::make_move_iterator(r->items.end()));
  return true;
}

void ReplyZPopped(CommandContext& ctx, std::span<const ZPopped> popped, bool had_count) {
  auto& r = ctx.reply;
  if (had_count && r.resp() >= 3) {
    r.ArrayHeader(popped.size());
    for (const ZPopped& p : popped) {
      r.ArrayHeader(2);
      r.Bulk(p.member);
      r.Double(p.score);
    }
    return;
  }
  r.ArrayHeader(popped.size() * 2);
  for (const ZPopped& p : popped) {
    r.Bulk(p.member);
    r.Double(p.score);
  }
}

void ReplyZMPop(CommandContext& ctx, std::string_view key, std::span<const ZPopped> popped) {
  auto& r = ctx.reply;
  r.ArrayHeader(2);
  r.Bulk(key);
  r.ArrayHeader(popped.size());
  for (const ZPopped& p : popped) {
    r.ArrayHeader(2);
    r.Bulk(p.member);
    r.Double(p.score);
  }
}

void ReplyScored(CommandContext& ctx, std::span<const storage::ZMemberScore> items,
                 bool withscores) {
  auto& r = ctx.reply;
  if (!withscores) {
    r.ArrayHeader(items.size());
    for (const auto& it : items) r.Bulk(it.member);
    return;
  }
  bool pairs = r.resp() >= 3;
  r.ArrayHeader(pairs ? items.size() : items.size() * 2);
  for (const auto& it : items) {
    if (pairs) r.ArrayHeader(2);
    r.Bulk(it.member);
    r.Double(it.score);
  }
}

ZStored OpStoreZSet(const LockedKey& dst, std::span<const storage::ZMemberScore> sorted,
                    const ZSetObject::Limits& limits) {
  // Build the new value first: `sorted` may point into the old value of dst.
  std::unique_ptr<ZSetObject> obj;
  if (!sorted.empty()) obj = ZSetObject::FromSorted(sorted, limits);
  Entry** link = dst.shard.FindLink(dst.key, dst.hash);
  if (obj == nullptr) {
    if (link == nullptr) return ZStored::kUnchanged;
    dst.shard.Delete(link);
    return ZStored::kDeleted;
  }
  Entry* e = storage::EntryBuilder::Object(dst.key, ValueType::kZSet, obj.release(), false, 0);
  if (link != nullptr) {
    dst.shard.Overwrite(link, e);
  } else {
    dst.shard.Add(e, dst.hash);
  }
  return ZStored::kStored;
}

void FinishZStore(CommandContext& ctx, std::string_view dst, ZStored stored,
                  std::string_view event) {
  switch (stored) {
    case ZStored::kUnchanged:
      break;
    case ZStored::kDeleted:
      ctx.PropagateAsIs();
      ctx.Changed(dst, "del", kNotifyGeneric);
      break;
    case ZStored::kStored:
      ctx.PropagateAsIs();
      ctx.Changed(dst, event, kNotifyZSet);
      break;
  }
}

StatusOr<ZAddResult> OpZAdd(KeyGuard& g, int flags, std::span<const ZAddItem> items,
                            const ZSetObject::Limits& limits) {
  ZAddResult r;
  Entry* e = g.Find();
  if (e != nullptr && !Holds<ZSetObject>(e)) return Status::Error(errors::kWrongType);
  ZSetObject* z;
  if (e == nullptr) {
    if (flags & ZSetObject::kAddXX) return r;
    z = new ZSetObject(ZSetObject::NeedsSkiplist(1, items[0].member.size(), limits));
    g.Add(EntryBuilder::Object(g.key(), ValueType::kZSet, z, false, 0));
  } else {
    z = ValueAs<ZSetObject>(e);
  }
  for (const ZAddItem& item : items) {
    switch (z->Add(item.member, item.score, flags, limits, &r.score)) {
      case ZSetObject::AddResult::kAdded:
        r.added++;
        r.processed++;
        break;
      case ZSetObject::AddResult::kUpdated:
        r.updated++;
        r.processed++;
        break;
      case ZSetObject::AddResult::kUnchanged:
        r.processed++;
        break;
      case ZSetObject::AddResult::kSkipped:
        break;
      case ZSetObject::AddResult::kNaN:
        return Status::Error(errors::kZNaNResult);
    }
  }
  return r;
}

}  // namespace basalt::commands
