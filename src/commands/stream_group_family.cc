// Stream reads and consumer groups: XREAD XREADGROUP XGROUP XACK XPENDING
// XCLAIM XAUTOCLAIM.
//
// Propagation follows Redis 7.0.15 (checked against its AOF):
//  - XREADGROUP logs one "XCLAIM ... FORCE JUSTID LASTID" per entry it adds to
//    a PEL; with NOACK it logs "XGROUP SETID <key> <group> <last id>
//    ENTRIESREAD <n>" instead, preceded by "XGROUP CREATECONSUMER" when it
//    created the consumer. History reads log nothing.
//  - XCLAIM / XAUTOCLAIM log the XCLAIM form per claimed (or dropped) entry.
//  - Several commands are logged as MULTI ... EXEC.
//
// Blocking: XREAD / XREADGROUP BLOCK wait through Session::BlockOn like
// BLPOP; every stream change wakes every waiter of the key (the registry's
// SignalAll), each re-runs its command. XREAD's "$" is resolved to the
// stream's last ID when the client blocks (Session::SetBlockedArgs). A
// re-run XREADGROUP whose stream or group is gone answers Redis's UNBLOCKED /
// NOGROUP errors.
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/stream_ops.h"
#include "common/clock.h"

namespace basalt::commands {
namespace {

using storage::Entry;
using storage::EntryBuilder;
using storage::StreamConsumer;
using storage::StreamGroup;
using storage::StreamID;
using storage::StreamObject;
using storage::StreamPending;
using storage::ValueType;

StreamConsumer* FindConsumer(StreamGroup& g, std::string_view name, bool refresh, int64_t now) {
  auto it = g.consumers.find(name);
  if (it == g.consumers.end()) return nullptr;
  if (refresh) it->second.seen_time = now;
  return &it->second;
}

StreamConsumer* CreateConsumer(CommandContext& ctx, std::string_view key, StreamGroup& g,
                               std::string_view name, int64_t now) {
  auto [it, inserted] = g.consumers.try_emplace(std::string(name));
  if (!inserted) return nullptr;
  it->second.seen_time = now;
  ctx.Changed(key, "xgroup-createconsumer", kNotifyStream);
  return &it->second;
}

StreamConsumer* FindOrCreateConsumer(CommandContext& ctx, std::string_view key, StreamGroup& g,
                                     std::string_view name, int64_t now, bool* created) {
  if (StreamConsumer* c = FindConsumer(g, name, true, now)) return c;
  *created = true;
  return CreateConsumer(ctx, key, g, name, now);
}

std::string NoConsumerGroup(std::string_view key, std::string_view group) {
  return "NOGROUP No such consumer group '" + std::string(group) + "' for key name '" +
         std::string(key) + "'";
}

StreamID LastValidId(const StreamObject& s) {
  StreamID out;
  s.Range(StreamID{}, StreamID::Max(), true, [&](const StreamID& id, const auto&) {
    out = id;
    return false;
  });
  return out;
}

// ------------------------------------------------------------ XREAD / XREADGROUP

// Delivers new entries (after the group's last ID) to a consumer, as
// Redis's streamReplyWithRange with a group; collects what to propagate.
void ServeGroupNew(CommandContext& ctx, std::string_view key, std::string_view gname,
                   StreamObject& s, StreamGroup& grp, std::string_view cname, size_t count,
                   bool noack, int64_t now, std::vector<std::vector<std::string>>* log) {
  StreamID start = grp.last_id;
  std::vector<std::pair<StreamID, std::vector<std::pair<std::string, std::string>>>> got;
  if (start.Incr()) {
    s.Range(start, StreamID::Max(), false, [&](const StreamID& id, const StreamObject::Fields& f) {
      std::vector<std::pair<std::string, std::string>> copy;
      for (const auto& [k, v] : f) copy.emplace_back(std::string(k), std::string(v));
      got.emplace_back(id, std::move(copy));
      return count == 0 || got.size() < count;
    });
  }
  bool propagate_last_id = false;
  ctx.reply.ArrayHeader(got.size());
  StreamConsumer& consumer = grp.consumers.at(std::string(cname));
  for (const auto& [id, fields] : got) {
    if (id > grp.last_id) {
      if (grp.entries_read != storage::kInvalidEntriesRead &&
          !s.RangeHasTombstones(id, StreamID::Max())) {
        grp.entries_read++;
      } else if (s.entries_added() != 0) {
        grp.entries_read = s.EstimateDistanceFromFirstEverEntry(id);
      }
      grp.last_id = id;
      if (noack) propagate_last_id = true;
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(id.ToString());
    ctx.reply.ArrayHeader(fields.size() * 2);
    for (const auto& [k, v] : fields) {
      ctx.reply.Bulk(k);
      ctx.reply.Bulk(v);
    }
    if (noack) continue;
    auto [pit, inserted] = grp.pel.try_emplace(id);
    StreamPending& p = pit->second;
    if (!inserted) {
      auto old = grp.consumers.find(p.consumer);
      if (old != grp.consumers.end()) old->second.pel.erase(id);
    }
    p.consumer = std::string(cname);
    p.delivery_time = now;
    p.delivery_count = 1;
    consumer.pel.insert(id);
    log->push_back(XClaimForm(key, gname, grp, id.ToString(), p));
  }
  if (propagate_last_id) {
    log->push_back({"XGROUP", "SETID", std::string(key), std::string(gname),
                    grp.last_id.ToString(), "ENTRIESREAD", std::to_string(grp.entries_read)});
  }
}

// Replies a consumer's pending entries from `start` (history read).
void ServeGroupHistory(CommandContext& ctx, StreamObject& s, StreamGroup& grp,
                       StreamConsumer& consumer, StreamID start, size_t count, int64_t now) {
  std::vector<StreamID> ids;
  // Like ">" reads, the ID given is exclusive.
  bool any = start.Incr();
  for (auto it = consumer.pel.lower_bound(start); any && it != consumer.pel.end(); ++it) {
    if (count != 0 && ids.size() >= count) break;
    ids.push_back(*it);
  }
  ctx.reply.ArrayHeader(ids.size());
  for (const StreamID& id : ids) {
    StreamObject::Fields f;
    if (!s.Get(id, &f)) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(id.ToString());
      ctx.reply.NullArray();
      continue;
    }
    ReplyStreamEntry(ctx, id, f);
    StreamPending& p = grp.pel.at(id);
    p.delivery_time = now;
    p.delivery_count++;
  }
}

}  // namespace

// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK]
//   STREAMS key [key ...] id [id ...]
void CmdXReadGeneric(CommandContext& ctx, bool xreadgroup) {
  const auto& args = ctx.args;
  int64_t deadline = -1;  // -1: no BLOCK
  int64_t count = 0;
  size_t streams_arg = 0, nstreams = 0;
  std::string_view gname, cname;
  bool have_group = false, noack = false;
  for (size_t i = 1; i < args.size(); i++) {
    size_t more = args.size() - i - 1;
    std::string_view o = args[i];
    if (EqualsIgnoreCase(o, "block") && more > 0) {
      i++;
      auto v = ParseInt64(args[i]);
      if (!v) return ctx.Error(errors::kTimeoutNotInteger);
      if (*v < 0) return ctx.Error(errors::kTimeoutNegative);
      int64_t now = NowMs();
      if (*v > 0 && *v > INT64_MAX - now) return ctx.Error(errors::kTimeoutOutOfRange);
      deadline = *v == 0 ? 0 : now + *v;
    } else if (EqualsIgnoreCase(o, "count") && more > 0) {
      i++;
      auto v = ParseInt64(args[i]);
      if (!v) return ctx.Error(errors::kNotInteger);
      count = *v < 0 ? 0 : *v;
    } else if (EqualsIgnoreCase(o, "streams") && more > 0) {
      streams_arg = i + 1;
      nstreams = args.size() - streams_arg;
      if (nstreams % 2 != 0) {
        // Redis 7.0 sends XREAD's text for XREADGROUP too.
        return ctx.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
      }
      nstreams /= 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      if (!xreadgroup) {
        return ctx.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
      }
      gname = args[i + 1];
      cname = args[i + 2];
      have_group = true;
      i += 2;
    } else if (EqualsIgnoreCase(o, "noack")) {
      if (!xreadgroup) {
        return ctx.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
      }
      noack = true;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if (streams_arg == 0) return ctx.Error(errors::kSyntax);
  if (xreadgroup && !have_group) return ctx.Error("ERR Missing GROUP option for XREADGROUP");

  storage::Database& db = ctx.db();
  storage::LockSet locks;
  for (size_t i = 0; i < nstreams; i++) locks.AddKey(db, args[streams_arg + i]);
  locks.Acquire();
  bool retry = ctx.session.retrying_blocked();

  std::vector<StreamObject*> streams(nstreams, nullptr);
  std::vector<StreamGroup*> groups(nstreams, nullptr);
  std::vector<StreamID> ids(nstreams);
  std::vector<bool> is_new(nstreams, false);  // ">"
  for (size_t i = 0; i < nstreams; i++) {
    std::string_view key = args[streams_arg + i];
    std::string_view idarg = args[streams_arg + nstreams + i];
    LockedKey k = Locked(db, key);
    Entry* e;
    if (xreadgroup) {
      Entry** l = k.shard.FindLink(k.key, k.hash, true);
      e = l == nullptr ? nullptr : *l;
    } else {
      e = k.shard.Find(k.key, k.hash, true);
    }
    CountHit(ctx, key, e != nullptr);
    if (e != nullptr && e->type() != ValueType::kStream) {
      if (retry && xreadgroup) return ctx.Error("UNBLOCKED the stream key no longer exists");
      return ctx.Error(errors::kWrongType);
    }
    StreamObject* s = e == nullptr ? nullptr : ValueAs<StreamObject>(e);
    streams[i] = s;
    if (xreadgroup) {
      StreamGroup* grp = s == nullptr ? nullptr : s->FindGroup(gname);
      if (grp == nullptr) {
        if (retry && s == nullptr) return ctx.Error("UNBLOCKED the stream key no longer exists");
        if (retry) {
          return ctx.Error(
              "NOGROUP the consumer group this client was blocked on no longer exists");
        }
        return ctx.Error(NoGroupError(key, gname, " in XREADGROUP with GROUP option"));
      }
      groups[i] = grp;
    }
    if (idarg == "$") {
      if (xreadgroup) {
        return ctx.Error(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
      }
      ids[i] = s != nullptr ? s->last_id() : StreamID{};
      continue;
    }
    if (idarg == ">") {
      if (!xreadgroup) {
        return ctx.Error(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
            "<consumer> option.");
      }
      is_new[i] = true;
      ids[i] = StreamID::Max();
      continue;
    }
    if (!StreamIdArg(ctx, idarg, 0, true, &ids[i])) return;
  }

  // Which streams are served now (decided before replying: the reply
  // header needs the count).
  std::vector<bool> serve(nstreams, false);
  size_t served = 0;
  for (size_t i = 0; i < nstreams; i++) {
    StreamObject* s = streams[i];
    if (s == nullptr) continue;
    if (xreadgroup) {
      if (!is_new[i]) {
        serve[i] = true;
      } else if (s->Size() > 0 && LastValidId(*s) > groups[i]->last_id) {
        serve[i] = true;
      }
    } else if (s->Size() > 0 && LastValidId(*s) > ids[i]) {
      serve[i] = true;
    }
    if (serve[i]) served++;
  }
  // A key named more than once with ">": Redis serves the occurrences in turn,
  // so a later one gets only what the earlier ones left (nothing without
  // COUNT), and is left out of the reply when that is nothing.
  if (xreadgroup) {
    std::vector<std::pair<std::string_view, uint64_t>> left;  // undelivered, per key
    for (size_t i = 0; i < nstreams; i++) {
      if (!serve[i] || !is_new[i]) continue;
      std::string_view key = args[streams_arg + i];
      bool named_again = false;
      for (size_t j = 0; j < nstreams; j++) {
        if (j != i && is_new[j] && args[streams_arg + j] == key) named_again = true;
      }
      if (!named_again) continue;
      auto it =
          std::find_if(left.begin(), left.end(), [&](const auto& p) { return p.first == key; });
      if (it == left.end()) {
        uint64_t n = 0;
        StreamID from = groups[i]->last_id;
        from.Incr();
        streams[i]->Range(from, StreamID::Max(), false, [&](const StreamID&, const auto&) {
          n++;
          return true;
        });
        left.emplace_back(key, n);
        it = left.end() - 1;
      }
      if (it->second == 0) {
        serve[i] = false;
        served--;
        continue;
      }
      it->second -= count > 0 ? std::min<uint64_t>(uint64_t(count), it->second) : it->second;
    }
  }

  if (served > 0) {
    int64_t now = NowMs();
    std::vector<std::vector<std::string>> log;
    if ((ctx.reply.resp() >= 3)) {
      ctx.reply.MapHeader(served);
    } else {
      ctx.reply.ArrayHeader(served);
    }
    for (size_t i = 0; i < nstreams; i++) {
      if (!serve[i]) continue;
      std::string_view key = args[streams_arg + i];
      if (!(ctx.reply.resp() >= 3)) ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(key);
      StreamObject& s = *streams[i];
      if (!xreadgroup) {
        StreamID start = ids[i];
        start.Incr();
        ReplyStreamRange(ctx, s, start, StreamID::Max(), size_t(count), false);
        continue;
      }
      StreamGroup& grp = *groups[i];
      bool created = false;
      StreamConsumer* c = FindOrCreateConsumer(ctx, key, grp, cname, now, &created);
      if (created && noack) {
        log.push_back({"XGROUP", "CREATECONSUMER", std::string(key), std::string(gname),
                       std::string(cname)});
      }
      if (is_new[i]) {
        ServeGroupNew(ctx, key, gname, s, grp, cname, size_t(count), noack, now, &log);
      } else {
        ServeGroupHistory(ctx, s, grp, *c, ids[i], size_t(count), now);
      }
    }
    PropagateAll(ctx, log);
    return;
  }

  if (deadline < 0 || StreamMustNotBlock(ctx)) {
    ctx.reply.NullArray();
    return;
  }
  std::vector<std::string> keys;
  for (size_t i = 0; i < nstreams; i++) keys.emplace_back(args[streams_arg + i]);
  if (!xreadgroup && !retry) {
    // "$" means "after the last ID now": wait for what comes after it.
    std::vector<std::string> rerun(args.begin(), args.end());
    for (size_t i = 0; i < nstreams; i++) {
      if (rerun[streams_arg + nstreams + i] == "$") rerun[streams_arg + nstreams + i] = ids[i].ToString();
    }
    ctx.session.SetBlockedArgs(std::move(rerun));
  }
  ctx.session.BlockOn(keys, deadline);
}

namespace {

void CmdXRead(CommandContext& ctx) { CmdXReadGeneric(ctx, false); }
void CmdXReadGroup(CommandContext& ctx) { CmdXReadGeneric(ctx, true); }

// ------------------------------------------------------------ XGROUP

// Parses CREATE/SETID options from args[5]; false after an error reply.
bool ParseGroupOptions(CommandContext& ctx, bool create, bool* mkstream, int64_t* entries_read) {
  for (size_t i = 5; i < ctx.args.size();) {
    if (create && EqualsIgnoreCase(ctx.args[i], "mkstream")) {
      *mkstream = true;
      i++;
    } else if (ctx.args.size() - i >= 2 && EqualsIgnoreCase(ctx.args[i], "entriesread")) {
      auto v = ParseInt64(ctx.args[i + 1]);
      if (!v) {
        ctx.Error(errors::kNotInteger);
        return false;
      }
      if (*v < 0 && *v != storage::kInvalidEntriesRead) {
        ctx.Error("ERR value for ENTRIESREAD must be positive or -1");
        return false;
      }
      *entries_read = *v;
      i += 2;
    } else {
      ctx.Error(errors::SubcommandSyntax(ctx.args[1], "XGROUP"));
      return false;
    }
  }
  return true;
}

// Looks up the stream and group for an XGROUP subcommand; replies the error
// and returns false when the key (or, if `need_group`, the group) is missing.
bool GroupTarget(CommandContext& ctx, KeyGuard& g, bool mkstream, bool need_group,
                 StreamObject** s, StreamGroup** grp) {
  if (!StreamForWrite(ctx, g, s)) return false;
  if (*s == nullptr && !mkstream) {
    ctx.Error(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want "
        "to use the MKSTREAM option to create an empty stream automatically.");
    return false;
  }
  *grp = *s == nullptr ? nullptr : (*s)->FindGroup(ctx.args[3]);
  if (need_group && *grp == nullptr) {
    ctx.Error(NoConsumerGroup(ctx.args[2], ctx.args[3]));
    return false;
  }
  return true;
}

// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
void CmdXGroupCreate(CommandContext& ctx) {
  bool mkstream = false;
  int64_t entries_read = storage::kInvalidEntriesRead;
  // As in Redis: the options, then the key, then the argument count.
  if (!ParseGroupOptions(ctx, true, &mkstream, &entries_read)) return;
  KeyGuard g(ctx.db(), ctx.args[2]);
  StreamObject* s;
  StreamGroup* grp;
  if (!GroupTarget(ctx, g, mkstream, false, &s, &grp)) return;
  if (ctx.args.size() > 8) return ctx.Error(errors::SubcommandSyntax(ctx.args[1], "XGROUP"));
  StreamID id;
  if (ctx.args[4] == "$") {
    id = s != nullptr ? s->last_id() : StreamID{};
  } else if (!StreamIdArg(ctx, ctx.args[4], 0, true, &id)) {
    return;
  }
  if (grp != nullptr) return ctx.Error("BUSYGROUP Consumer Group name already exists");
  if (s == nullptr) {
    s = new StreamObject();
    g.Add(EntryBuilder::Object(g.key(), ValueType::kStream, s, false, 0));
  }
  StreamGroup& ng = s->groups()[std::string(ctx.args[3])];
  ng.last_id = id;
  ng.entries_read = entries_read;
  ctx.Changed(ctx.args[2], "xgroup-create", kNotifyStream);
  ctx.PropagateAsIs();
  ctx.reply.Ok();
}

// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
void CmdXGroupSetId(CommandContext& ctx) {
  bool mkstream = false;
  int64_t entries_read = storage::kInvalidEntriesRead;
  // As in Redis: the options, then the key and group, then the argument count.
  if (!ParseGroupOptions(ctx, false, &mkstream, &entries_read)) return;
  KeyGuard g(ctx.db(), ctx.args[2]);
  StreamObject* s;
  StreamGroup* grp;
  if (!GroupTarget(ctx, g, false, true, &s, &grp)) return;
  if (ctx.args.size() != 5 && ctx.args.size() != 7) {
    return ctx.Error(errors::SubcommandSyntax(ctx.args[1], "XGROUP"));
  }
  StreamID id;
  if (ctx.args[4] == "$") {
    id = s->last_id();
  } else if (!StreamIdArg(ctx, ctx.args[4], 0, false, &id)) {
    return;
  }
  grp->last_id = id;
  grp->entries_read = entries_read;
  ctx.Changed(ctx.args[2], "xgroup-setid", kNotifyStream);
  ctx.PropagateAsIs();
  ctx.reply.Ok();
}

// XGROUP DESTROY key group
void CmdXGroupDestroy(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  StreamObject* s;
  StreamGroup* grp;
  if (!GroupTarget(ctx, g, false, false, &s, &grp)) return;
  if (grp == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  s->groups().erase(std::string(ctx.args[3]));
  ctx.Changed(ctx.args[2], "xgroup-destroy", kNotifyStream);
  ctx.PropagateAsIs();
  ctx.reply.Integer(1);
}

// XGROUP CREATECONSUMER key group consumer
void CmdXGroupCreateConsumer(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  StreamObject* s;
  StreamGroup* grp;
  if (!GroupTarget(ctx, g, false, true, &s, &grp)) return;
  StreamConsumer* c = CreateConsumer(ctx, ctx.args[2], *grp, ctx.args[4], NowMs());
  if (c != nullptr) ctx.PropagateAsIs();
  ctx.reply.Integer(c != nullptr ? 1 : 0);
}

// XGROUP DELCONSUMER key group consumer
void CmdXGroupDelConsumer(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  StreamObject* s;
  StreamGroup* grp;
  if (!GroupTarget(ctx, g, false, true, &s, &grp)) return;
  auto it = grp->consumers.find(ctx.args[4]);
  int64_t pending = 0;
  if (it != grp->consumers.end()) {
    pending = int64_t(it->second.pel.size());
    for (const StreamID& id : it->second.pel) grp->pel.erase(id);
    grp->consumers.erase(it);
    ctx.Changed(ctx.args[2], "xgroup-delconsumer", kNotifyStream);
    ctx.PropagateAsIs();
  }
  ctx.reply.Integer(pending);
}

void CmdXGroupHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Prints this help."};
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void CmdXGroupContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

// ------------------------------------------------------------ XACK

// XACK key group id [id ...]
void CmdXAck(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StreamObject* s;
  if (!StreamForWrite(ctx, g, &s)) return;
  StreamGroup* grp = s == nullptr ? nullptr : s->FindGroup(ctx.args[2]);
  if (grp == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  std::vector<StreamID> ids(ctx.args.size() - 3);
  for (size_t j = 3; j < ctx.args.size(); j++) {
    if (!StreamIdArg(ctx, ctx.args[j], 0, true, &ids[j - 3])) return;
  }
  int64_t acked = 0;
  for (const StreamID& id : ids) {
    auto it = grp->pel.find(id);
    if (it == grp->pel.end()) continue;
    auto c = grp->consumers.find(it->second.consumer);
    if (c != grp->consumers.end()) c->second.pel.erase(id);
    grp->pel.erase(it);
    acked++;
  }
  if (acked > 0) ctx.PropagateAsIs();
  ctx.reply.Integer(acked);
}

// ------------------------------------------------------------ XPENDING

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
void CmdXPending(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (args.size() != 3 && (args.size() < 6 || args.size() > 9)) return ctx.Error(errors::kSyntax);
  bool justinfo = args.size() == 3;
  int64_t minidle = 0, count = 0;
  StreamID start, end;
  std::string_view cname;
  bool have_consumer = false;
  if (!justinfo) {
    size_t si = 3;
    if (EqualsIgnoreCase(args[3], "idle")) {
      auto v = ParseInt64(args[4]);
      if (!v) return ctx.Error(errors::kNotInteger);
      minidle = *v;
      if (args.size() < 8) return ctx.Error(errors::kSyntax);
      si += 2;
    }
    auto c = ParseInt64(args[si + 2]);
    if (!c) return ctx.Error(errors::kNotInteger);
    count = *c < 0 ? 0 : *c;
    bool sex, eex;
    if (!StreamIdArg(ctx, args[si], 0, false, &start, &sex)) return;
    if (sex && !start.Incr()) return ctx.Error("ERR invalid start ID for the interval");
    if (!StreamIdArg(ctx, args[si + 1], UINT64_MAX, false, &end, &eex)) return;
    if (eex && !end.Decr()) return ctx.Error("ERR invalid end ID for the interval");
    if (si + 3 < args.size()) {
      cname = args[si + 3];
      have_consumer = true;
    }
  }
  KeyGuard g(ctx.db(), args[1]);
  StreamObject* s;
  if (!LookupForRead<StreamObject>(ctx, g, &s)) return;
  StreamGroup* grp = s == nullptr ? nullptr : s->FindGroup(args[2]);
  if (grp == nullptr) return ctx.Error(NoGroupError(args[1], args[2]));
  if (justinfo) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Integer(int64_t(grp->pel.size()));
    if (grp->pel.empty()) {
      ctx.reply.Null();
      ctx.reply.Null();
      ctx.reply.NullArray();
      return;
    }
    ctx.reply.Bulk(grp->pel.begin()->first.ToString());
    ctx.reply.Bulk(grp->pel.rbegin()->first.ToString());
    size_t n = 0;
    for (const auto& [name, c] : grp->consumers) n += c.pel.empty() ? 0 : 1;
    ctx.reply.ArrayHeader(n);
    for (const auto& [name, c] : grp->consumers) {
      if (c.pel.empty()) continue;
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(std::to_string(c.pel.size()));
    }
    return;
  }
  const StreamConsumer* consumer = nullptr;
  if (have_consumer) {
    auto it = grp->consumers.find(cname);
    if (it == grp->consumers.end()) {
      ctx.reply.ArrayHeader(0);
      return;
    }
    consumer = &it->second;
  }
  int64_t now = NowMs();
  std::vector<std::pair<StreamID, const StreamPending*>> rows;
  auto visit = [&](const StreamID& id, const StreamPending& p) {
    if (minidle != 0 && now - p.delivery_time < minidle) return;
    rows.emplace_back(id, &p);
  };
  if (consumer != nullptr) {
    for (auto it = consumer->pel.lower_bound(start);
         count > 0 && int64_t(rows.size()) < count && it != consumer->pel.end() && *it <= end;
         ++it) {
      visit(*it, grp->pel.at(*it));
    }
  } else {
    for (auto it = grp->pel.lower_bound(start);
         count > 0 && int64_t(rows.size()) < count && it != grp->pel.end() && it->first <= end;
         ++it) {
      visit(it->first, it->second);
    }
  }
  ctx.reply.ArrayHeader(rows.size());
  for (const auto& [id, p] : rows) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(id.ToString());
    ctx.reply.Bulk(p->consumer);
    int64_t elapsed = now - p->delivery_time;
    ctx.reply.Integer(elapsed < 0 ? 0 : elapsed);
    ctx.reply.Integer(int64_t(p->delivery_count));
  }
}

// ------------------------------------------------------------ XCLAIM / XAUTOCLAIM

// Moves a pending entry to consumer c (REQUIRES: c is in grp).
// `fresh`: the entry was just created by FORCE and belongs to nobody yet.
void AssignPending(StreamGroup& grp, const StreamID& id, StreamPending& p, std::string_view cname,
                   StreamConsumer& c, bool fresh) {
  if (fresh || p.consumer != cname) {
    auto old = grp.consumers.find(p.consumer);
    if (!fresh && old != grp.consumers.end()) old->second.pel.erase(id);
    p.consumer = std::string(cname);
    c.pel.insert(id);
  }
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms]
//   [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
void CmdXClaim(CommandContext& ctx) {
  const auto& args = ctx.args;
  KeyGuard g(ctx.db(), args[1]);
  StreamObject* s;
  if (!StreamForWrite(ctx, g, &s)) return;
  StreamGroup* grp = s == nullptr ? nullptr : s->FindGroup(args[2]);
  if (grp == nullptr) return ctx.Error(NoGroupError(args[1], args[2]));
  auto mi = ParseInt64(args[4]);
  if (!mi) return ctx.Error("ERR Invalid min-idle-time argument for XCLAIM");
  int64_t minidle = *mi < 0 ? 0 : *mi;
  size_t j = 5;
  std::vector<StreamID> ids;
  for (; j < args.size(); j++) {
    StreamID id;
    if (!StreamIdStrict(args[j], &id)) break;
    ids.push_back(id);
  }
  size_t last_id_arg = j;  // one past the last ID
  int64_t now = NowMs();
  int64_t deliverytime = -1, retrycount = -1;
  bool force = false, justid = false;
  StreamID last_id;
  for (; j < args.size(); j++) {
    size_t more = args.size() - 1 - j;
    std::string_view opt = args[j];
    if (EqualsIgnoreCase(opt, "force")) {
      force = true;
    } else if (EqualsIgnoreCase(opt, "justid")) {
      justid = true;
    } else if (EqualsIgnoreCase(opt, "idle") && more > 0) {
      auto v = ParseInt64(args[++j]);
      if (!v) return ctx.Error("ERR Invalid IDLE option argument for XCLAIM");
      // Wraps as Redis's subtraction does; out-of-range times become now below.
      deliverytime = int64_t(uint64_t(now) - uint64_t(*v));
    } else if (EqualsIgnoreCase(opt, "time") && more > 0) {
      auto v = ParseInt64(args[++j]);
      if (!v) return ctx.Error("ERR Invalid TIME option argument for XCLAIM");
      deliverytime = *v;
    } else if (EqualsIgnoreCase(opt, "retrycount") && more > 0) {
      auto v = ParseInt64(args[++j]);
      if (!v) return ctx.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM");
      retrycount = *v;
    } else if (EqualsIgnoreCase(opt, "lastid") && more > 0) {
      if (!StreamIdArg(ctx, args[++j], 0, true, &last_id)) return;
    } else {
      return ctx.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
    }
  }
  bool propagate_last_id = false;
  if (last_id > grp->last_id) {
    grp->last_id = last_id;
    propagate_last_id = true;
  }
  if (deliverytime != -1) {
    if (deliverytime < 0 || deliverytime > now) deliverytime = now;
  } else {
    deliverytime = now;
  }
  std::string_view cname = args[3];
  StreamConsumer* consumer = nullptr;
  std::vector<std::vector<std::string>> log;
  std::vector<std::pair<StreamID, bool>> replies;  // id, entry exists
  for (size_t k = 0; k + 5 < last_id_arg; k++) {
    const StreamID& id = ids[k];
    auto pit = grp->pel.find(id);
    if (!s->Get(id)) {
      if (pit != grp->pel.end()) {
        log.push_back(XClaimForm(args[1], args[2], *grp, args[5 + k], pit->second));
        propagate_last_id = false;
        auto c = grp->consumers.find(pit->second.consumer);
        if (c != grp->consumers.end()) c->second.pel.erase(id);
        grp->pel.erase(pit);
      }
      continue;
    }
    bool fresh = false;
    if (force && pit == grp->pel.end()) {
      pit = grp->pel.try_emplace(id).first;
      pit->second.consumer.clear();
      pit->second.delivery_time = now;
      pit->second.delivery_count = 1;
      fresh = true;
    }
    if (pit == grp->pel.end()) continue;
    StreamPending& p = pit->second;
    if (!fresh && minidle != 0 && now - p.delivery_time < minidle) continue;
    if (consumer == nullptr) {
      bool created = false;
      consumer = FindOrCreateConsumer(ctx, args[1], *grp, cname, now, &created);
    }
    AssignPending(*grp, id, p, cname, *consumer, fresh);
    p.delivery_time = deliverytime;
    if (retrycount >= 0) {
      p.delivery_count = uint64_t(retrycount);
    } else if (!justid) {
      p.delivery_count++;
    }
    replies.emplace_back(id, true);
    log.push_back(XClaimForm(args[1], args[2], *grp, args[5 + k], p));
    propagate_last_id = false;
  }
  if (propagate_last_id) {
    log.push_back({"XGROUP", "SETID", std::string(args[1]), std::string(args[2]),
                   grp->last_id.ToString(), "ENTRIESREAD", std::to_string(grp->entries_read)});
  }
  ctx.reply.ArrayHeader(replies.size());
  for (const auto& [id, exists] : replies) {
    if (justid) {
      ctx.reply.Bulk(id.ToString());
      continue;
    }
    StreamObject::Fields f;
    if (s->Get(id, &f)) {
      ReplyStreamEntry(ctx, id, f);
    } else {
      ctx.reply.Null();
    }
  }
  PropagateAll(ctx, log);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void CmdXAutoClaim(CommandContext& ctx) {
  const auto& args = ctx.args;
  auto mi = ParseInt64(args[4]);
  if (!mi) return ctx.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM");
  int64_t minidle = *mi < 0 ? 0 : *mi;
  StreamID start;
  bool sex;
  if (!StreamIdArg(ctx, args[5], 0, false, &start, &sex)) return;
  if (sex && !start.Incr()) return ctx.Error("ERR invalid start ID for the interval");
  int64_t count = 100;
  bool justid = false;
  constexpr int64_t kAttemptsFactor = 10;
  for (size_t j = 6; j < args.size(); j++) {
    size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "count") && more > 0) {
      auto v = ParseInt64(args[j + 1]);
      int64_t max_count = LONG_MAX / 16;
      if (!v || *v < 1 || *v > max_count) return ctx.Error("ERR COUNT must be > 0");
      count = *v;
      j++;
    } else if (EqualsIgnoreCase(args[j], "justid")) {
      justid = true;
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  KeyGuard g(ctx.db(), args[1]);
  StreamObject* s;
  if (!StreamForWrite(ctx, g, &s)) return;
  StreamGroup* grp = s == nullptr ? nullptr : s->FindGroup(args[2]);
  if (grp == nullptr) return ctx.Error(NoGroupError(args[1], args[2]));
  int64_t attempts = count * kAttemptsFactor;
  int64_t now = NowMs();
  std::string_view cname = args[3];
  StreamConsumer* consumer = nullptr;
  std::vector<std::vector<std::string>> log;
  std::vector<StreamID> claimed, deleted;
  auto it = grp->pel.lower_bound(start);
  while (attempts-- > 0 && count > 0 && it != grp->pel.end()) {
    StreamID id = it->first;
    StreamPending& p = it->second;
    if (!s->Get(id)) {
      log.push_back(XClaimForm(args[1], args[2], *grp, id.ToString(), p));
      auto c = grp->consumers.find(p.consumer);
      if (c != grp->consumers.end()) c->second.pel.erase(id);
      it = grp->pel.erase(it);
      deleted.push_back(id);
      count--;
      continue;
    }
    if (minidle != 0 && now - p.delivery_time < minidle) {
      ++it;
      continue;
    }
    if (consumer == nullptr) {
      bool created = false;
      consumer = FindOrCreateConsumer(ctx, args[1], *grp, cname, now, &created);
    }
    AssignPending(*grp, id, p, cname, *consumer, false);
    p.delivery_time = now;
    if (!justid) p.delivery_count++;
    claimed.push_back(id);
    count--;
    log.push_back(XClaimForm(args[1], args[2], *grp, id.ToString(), p));
    ++it;
  }
  StreamID cursor = it == grp->pel.end() ? StreamID{} : it->first;
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk(cursor.ToString());
  ctx.reply.ArrayHeader(claimed.size());
  for (const StreamID& id : claimed) {
    if (justid) {
      ctx.reply.Bulk(id.ToString());
    } else {
      StreamObject::Fields f;
      s->Get(id, &f);
      ReplyStreamEntry(ctx, id, f);
    }
  }
  ctx.reply.ArrayHeader(deleted.size());
  for (const StreamID& id : deleted) ctx.reply.Bulk(id.ToString());
  PropagateAll(ctx, log);
}

}  // namespace

void RegisterStreamGroupFamily(CommandTable& t) {
  const char* g = "stream";
  t.Add(Spec(g, "xread", -4, kReadOnly | kBlocking | kMovableKeys, 0, 0, 0,
             "@read @stream @slow @blocking", CmdXRead));
  t.Add(Spec(g, "xreadgroup", -7, kWrite | kBlocking | kMovableKeys, 0, 0, 0,
             "@write @stream @slow @blocking", CmdXReadGroup));
  t.Add(Spec(g, "xack", -4, kWrite | kFast, 1, 1, 1, "@write @stream @fast", CmdXAck));
  t.Add(Spec(g, "xpending", -3, kReadOnly, 1, 1, 1, "@read @stream @slow", CmdXPending));
  t.Add(Spec(g, "xclaim", -6, kWrite | kFast, 1, 1, 1, "@write @stream @fast", CmdXClaim));
  t.Add(Spec(g, "xautoclaim", -6, kWrite | kFast, 1, 1, 1, "@write @stream @fast",
             CmdXAutoClaim));
  t.Add(Spec(g, "xgroup", -2, kNoFlags, 0, 0, 0, "@slow", CmdXGroupContainer));
  t.AddSub("xgroup", Spec(g, "create", -5, kWrite | kDenyOom, 2, 2, 1, "@write @stream @slow",
                          CmdXGroupCreate));
  t.AddSub("xgroup", Spec(g, "setid", -5, kWrite, 2, 2, 1, "@write @stream @slow",
                          CmdXGroupSetId));
  t.AddSub("xgroup", Spec(g, "destroy", 4, kWrite, 2, 2, 1, "@write @stream @slow",
                          CmdXGroupDestroy));
  t.AddSub("xgroup", Spec(g, "createconsumer", 5, kWrite | kDenyOom, 2, 2, 1,
                          "@write @stream @slow", CmdXGroupCreateConsumer));
  t.AddSub("xgroup", Spec(g, "delconsumer", 5, kWrite, 2, 2, 1, "@write @stream @slow",
                          CmdXGroupDelConsumer));
  t.AddSub("xgroup", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@stream @slow",
                          CmdXGroupHelp));
}

}  // namespace basalt::commands
