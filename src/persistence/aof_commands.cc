#include "persistence/aof_commands.h"

#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

#include "common/numbers.h"
#include "storage/hash_type.h"
#include "storage/list_type.h"
#include "storage/set_type.h"
#include "storage/stream_type.h"
#include "storage/zset_type.h"

namespace basalt::persistence {
namespace {

// Items per command for collections, as Redis's rewrite does.
constexpr size_t kItemsPerCommand = 64;

void Header(char kind, size_t n, std::string* out) {
  char buf[24];
  out->push_back(kind);
  out->append(buf, FormatInt64(int64_t(n), buf));
  out->append("\r\n");
}

void Bulk(std::string_view s, std::string* out) {
  Header('$', s.size(), out);
  out->append(s);
  out->append("\r\n");
}

// Builds commands of the form <name> <key> <items...>, split every
// kItemsPerCommand items (an item is one member, or a pair/score+member).
class Batcher {
 public:
  Batcher(std::string_view name, std::string_view key, size_t total_items, size_t per_item,
          std::string* out)
      : name_(name), key_(key), left_(total_items), per_item_(per_item), out_(out) {}
  void Item(std::initializer_list<std::string_view> parts) {
    if (in_cmd_ == 0) {
      size_t n = std::min(left_, kItemsPerCommand);
      Header('*', 2 + n * per_item_, out_);
      Bulk(name_, out_);
      Bulk(key_, out_);
      in_cmd_ = n;
    }
    for (std::string_view p : parts) Bulk(p, out_);
    in_cmd_--;
    left_--;
  }

 private:
  std::string_view name_, key_;
  size_t left_, per_item_;
  size_t in_cmd_ = 0;
  std::string* out_;
};

std::string_view Score(double d, char* buf) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  int n = snprintf(buf, 32, "%.17g", d);
  return std::string_view(buf, size_t(n));
}

void Command(std::initializer_list<std::string_view> args, std::string* out) {
  Header('*', args.size(), out);
  for (std::string_view a : args) Bulk(a, out);
}

// As Redis's rewrite: one XADD per entry (or "XADD key MAXLEN 0 0-1 x y" for
// an empty stream), XSETID for the last ID and counters, then per group
// XGROUP CREATE ... ENTRIESREAD, and per consumer its pending entries as
// XCLAIM ... JUSTID FORCE, or XGROUP CREATECONSUMER when it has none.
void AppendStreamCommands(std::string_view key, const storage::StreamObject& s,
                          std::string* out) {
  using storage::StreamID;
  if (s.Size() > 0) {
    s.Range(StreamID{}, StreamID::Max(), false,
            [&](const StreamID& id, const storage::StreamObject::Fields& f) {
              Header('*', 3 + f.size() * 2, out);
              Bulk("XADD", out);
              Bulk(key, out);
              Bulk(id.ToString(), out);
              for (const auto& [k, v] : f) {
                Bulk(k, out);
                Bulk(v, out);
              }
              return true;
            });
  } else {
    Command({"XADD", key, "MAXLEN", "0", "0-1", "x", "y"}, out);
  }
  std::string added = std::to_string(s.entries_added());
  Command({"XSETID", key, s.last_id().ToString(), "ENTRIESADDED", added, "MAXDELETEDID",
           s.max_deleted_id().ToString()},
          out);
  for (const auto& [name, g] : s.groups()) {
    std::string read = std::to_string(g.entries_read);
    Command({"XGROUP", "CREATE", key, name, g.last_id.ToString(), "ENTRIESREAD", read}, out);
    for (const auto& [cname, c] : g.consumers) {
      if (c.pel.empty()) {
        Command({"XGROUP", "CREATECONSUMER", key, name, cname}, out);
        continue;
      }
      for (const StreamID& id : c.pel) {
        const storage::StreamPending& p = g.pel.at(id);
        std::string t = std::to_string(p.delivery_time);
        std::string n = std::to_string(p.delivery_count);
        Command({"XCLAIM", key, name, cname, "0", id.ToString(), "TIME", t, "RETRYCOUNT", n,
                 "JUSTID", "FORCE"},
                out);
      }
    }
  }
}

}  // namespace

void AppendSelectCommand(int db, std::string* out) {
  char buf[24];
  Header('*', 2, out);
  Bulk("SELECT", out);
  Bulk(std::string_view(buf, FormatInt64(db, buf)), out);
}

void AppendEntryCommands(const storage::Entry& e, std::string* out) {
  std::string_view key = e.key();
  switch (e.type()) {
    case storage::ValueType::kString: {
      char buf[24];
      Header('*', 3, out);
      Bulk("SET", out);
      Bulk(key, out);
      Bulk(e.StringValue(buf), out);
      break;
    }
    case storage::ValueType::kList: {
      auto* l = static_cast<const storage::ListObject*>(e.obj());
      Batcher b("RPUSH", key, l->Size(), 1, out);
      for (auto it = l->Begin(); it.Valid(); it.Next()) b.Item({it.value()});
      break;
    }
    case storage::ValueType::kSet: {
      auto* s = static_cast<const storage::SetObject*>(e.obj());
      Batcher b("SADD", key, s->Size(), 1, out);
      s->ForEach([&](std::string_view m) {
        b.Item({m});
        return true;
      });
      break;
    }
    case storage::ValueType::kZSet: {
      auto* z = static_cast<const storage::ZSetObject*>(e.obj());
      Batcher b("ZADD", key, z->Size(), 2, out);
      char buf[32];
      for (auto it = z->AtRank(0); it.Valid(); it.Next()) b.Item({Score(it.score(), buf), it.member()});
      break;
    }
    case storage::ValueType::kHash: {
      auto* h = static_cast<const storage::HashObject*>(e.obj());
      Batcher b("HSET", key, h->Size(), 2, out);
      h->ForEach([&](std::string_view f, std::string_view v) { b.Item({f, v}); });
      break;
    }
    case storage::ValueType::kStream:
      AppendStreamCommands(key, *static_cast<const storage::StreamObject*>(e.obj()), out);
      break;
  }
  if (e.has_expire()) {
    char buf[24];
    Header('*', 3, out);
    Bulk("PEXPIREAT", out);
    Bulk(key, out);
    Bulk(std::string_view(buf, FormatInt64(e.expire_ms(), buf)), out);
  }
}

}  // namespace basalt::persistence
