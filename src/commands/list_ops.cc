#include "commands/list_ops.h"

#include <iterator>

#include "commands/errors.h"
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

ListState FindFirstList(std::span<const LockedKey> keys, size_t* index, bool skip_wrong_type) {
  for (size_t i = 0; i < keys.size(); i++) {
    ListObject* l;
    ListState st = LookupListForWrite(keys[i], &l);
    if (st == ListState::kMissing || (skip_wrong_type && st == ListState::kWrongType)) continue;
    if (st == ListState::kList) *index = i;
    return st;
  }
  return ListState::kMissing;
}

StatusOr<ListPop> OpPop(const LockedKey& k, ListEnd end, int64_t count) {
  ListPop pop;
  Entry** link = k.shard.FindLink(k.key, k.hash);
  if (link == nullptr) return pop;
  if (!Holds<ListObject>(*link)) return Status::Error(errors::kWrongType);
  pop.found = true;
  if (count <= 0) return pop;
  auto* list = ValueAs<ListObject>(*link);
  if (end == ListEnd::kLeft) {
    list->PopFront(size_t(count), &pop.items);
  } else {
    list->PopBack(size_t(count), &pop.items);
  }
  if (list->Size() == 0) {
    k.shard.Delete(link);
    pop.deleted = true;
  }
  return pop;
}

bool PopElements(CommandContext& ctx, const LockedKey& k, ListEnd end, int64_t count, PopLog log,
                 std::vector<std::string>* out) {
  StatusOr<ListPop> r = OpPop(k, end, count < 1 ? 1 : count);
  if (!r.ok() || !r->found) return false;
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
      size_t n = FormatInt64(int64_t(r->items.size()), buf);
      ctx.Propagate({cmd, k.key, std::string_view(buf, n)});
      break;
    }
  }
  ctx.Changed(k.key, PopEvent(end), kNotifyList);
  if (r->deleted) ctx.Changed(k.key, "del", kNotifyGeneric);
  out->insert(out->end(), std::make_move_iterator(r->items.begin()),
              std::make_move_iterator(r->items.end()));
  return true;
}

StatusOr<ListMove> OpMove(const LockedKey& src, const LockedKey& dst, ListEnd from, ListEnd to,
                          int64_t fill) {
  ListMove m;
  ListObject* sl;
  switch (LookupListForWrite(src, &sl)) {
    case ListState::kMissing:
      return m;
    case ListState::kWrongType:
      return Status::Error(errors::kWrongType);
    case ListState::kList:
      break;
  }
  ListObject* dl = nullptr;
  bool same = &src.shard == &dst.shard && src.key == dst.key;
  if (same) {
    dl = sl;
  } else if (LookupListForWrite(dst, &dl) == ListState::kWrongType) {
    return Status::Error(errors::kWrongType);
  }
  m.value = from == ListEnd::kLeft ? sl->PopFront() : sl->PopBack();
  if (dl == nullptr) {
    dl = new ListObject(fill);
    // Adding to the table may move its buckets: src is looked up again below.
    dst.shard.Add(storage::EntryBuilder::Object(dst.key, ValueType::kList, dl, false, 0), dst.hash);
  }
  if (to == ListEnd::kLeft) {
    dl->PushFront(m.value);
  } else {
    dl->PushBack(m.value);
  }
  m.moved = true;
  if (sl->Size() == 0) {
    Entry** link = src.shard.FindLink(src.key, src.hash, false);
    src.shard.Delete(link);
    m.src_deleted = true;
  }
  return m;
}

MoveResult MoveElement(CommandContext& ctx, const LockedKey& src, const LockedKey& dst,
                       ListEnd from, ListEnd to, std::span<const std::string_view> log_args,
                       std::string* out) {
  StatusOr<ListMove> r = OpMove(src, dst, from, to, ctx.config().list_max_listpack_size());
  if (!r.ok()) return MoveResult::kWrongType;
  if (!r->moved) return MoveResult::kNoSource;
  if (log_args.empty()) {
    ctx.PropagateAsIs();
  } else {
    ctx.Propagate(log_args);
  }
  ctx.Changed(dst.key, PushEvent(to), kNotifyList);
  ctx.Changed(src.key, PopEvent(from), kNotifyList);
  if (r->src_deleted) ctx.Changed(src.key, "del", kNotifyGeneric);
  *out = std::move(r->value);
  return MoveResult::kMoved;
}

}  // namespace basalt::commands
