#include "commands/list_ops.h"

#include "storage/list_type.h"

namespace basalt::commands {

using storage::Entry;
using storage::ListObject;
using storage::ValueType;

bool ParseListEnd(std::string_view s, ListEnd* out) {
  if (EqualsIgnoreCase(s, "left")) {
    *out = ListEnd::kLeft;
    return true;
  }
  if (EqualsIgnoreCase(s, "right")) {
    *out = ListEnd::kRight;
    return true;
  }
  return false;
}

ListState LookupListForWrite(const LockedKey& k, ListObject** list) {
  Entry* e = k.shard.Find(k.key, k.hash);
  if (e == nullptr) return ListState::kMissing;
  if (!Holds<ListObject>(e)) return ListState::kWrongType;
  *list = static_cast<ListObject*>(e->obj());
  return ListState::kList;
}

ListState FindFirstList(std::span<const LockedKey> keys, size_t* index) {
  for (size_t i = 0; i < keys.size(); i++) {
    ListObject* l;
    ListState st = LookupListForWrite(keys[i], &l);
    if (st == ListState::kMissing) continue;
    if (st == ListState::kList) *index = i;
    return st;
  }
  return ListState::kMissing;
}

bool PopElements(CommandContext& ctx, const LockedKey& k, ListEnd end, int64_t count, PopLog log,
                 std::vector<std::string>* out) {
  Entry** link = k.shard.FindLink(k.key, k.hash);
  if (link == nullptr || !Holds<ListObject>((*link))) return false;
  auto* list = static_cast<ListObject*>((*link)->obj());
  size_t before = out->size();
  size_t n = count < 1 ? 1 : size_t(count);
  if (end == ListEnd::kLeft) {
    list->PopFront(n, out);
  } else {
    list->PopBack(n, out);
  }
  size_t popped = out->size() - before;
  const char* cmd = end == ListEnd::kLeft ? "LPOP" : "RPOP";
  switch (log) {
    case PopLog::kAsIs:
      ctx.PropagateAsIs();
      break;
    case PopLog::kSingle:
      ctx.Propagate({cmd, k.key});
      break;
    case PopLog::kWithCount: {
      char buf[24];
      ctx.Propagate({cmd, k.key, std::string_view(buf, FormatInt64(int64_t(popped), buf))});
      break;
    }
  }
  ctx.Changed(k.key, end == ListEnd::kLeft ? "lpop" : "rpop", kNotifyList);
  if (list->Size() == 0) {
    k.shard.Delete(link);
    ctx.Changed(k.key, "del", kNotifyGeneric);
  }
  return true;
}

MoveResult MoveElement(CommandContext& ctx, const LockedKey& src, const LockedKey& dst,
                       ListEnd from, ListEnd to, std::span<const std::string_view> log_args,
                       std::string* out) {
  ListObject* sl;
  if (LookupListForWrite(src, &sl) != ListState::kList) {
    Entry* e = src.shard.Find(src.key, src.hash, false);
    return e == nullptr ? MoveResult::kNoSource : MoveResult::kWrongType;
  }
  ListObject* dl = nullptr;
  bool same = &src.shard == &dst.shard && src.key == dst.key;
  if (same) {
    dl = sl;
  } else if (LookupListForWrite(dst, &dl) == ListState::kWrongType) {
    return MoveResult::kWrongType;
  }
  *out = from == ListEnd::kLeft ? sl->PopFront() : sl->PopBack();
  if (dl == nullptr) {
    dl = new ListObject(ctx.config().list_max_listpack_size());
    // Adding to the table may move its buckets: src is looked up again below.
    dst.shard.Add(storage::EntryBuilder::Object(dst.key, ValueType::kList, dl, false, 0), dst.hash);
  }
  if (to == ListEnd::kLeft) {
    dl->PushFront(*out);
  } else {
    dl->PushBack(*out);
  }
  if (log_args.empty()) {
    ctx.PropagateAsIs();
  } else {
    ctx.Propagate(log_args);
  }
  ctx.Changed(dst.key, to == ListEnd::kLeft ? "lpush" : "rpush", kNotifyList);
  ctx.Changed(src.key, from == ListEnd::kLeft ? "lpop" : "rpop", kNotifyList);
  if (sl->Size() == 0) {
    Entry** link = src.shard.FindLink(src.key, src.hash, false);
    src.shard.Delete(link);
    ctx.Changed(src.key, "del", kNotifyGeneric);
  }
  return MoveResult::kMoved;
}

}  // namespace basalt::commands
