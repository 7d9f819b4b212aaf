// Stream commands on entries: XADD XRANGE XREVRANGE XLEN XDEL XTRIM XSETID
// XINFO, and the helpers the consumer-group commands share (stream_ops.h).
// Consumer groups, XREAD and XREADGROUP are in stream_group_family.cc.
//
// Propagation follows Redis 7.0.15 (checked against its AOF): XADD is logged
// with the ID it generated, an approximate trim ("~") is logged as the exact
// trim it amounted to ("MAXLEN = <length after>" / "MINID = <first id>"),
// XTRIM and XDEL only when they removed something.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/stream_ops.h"
#include "common/clock.h"
#include "replication/write_log.h"

namespace basalt::commands {

using storage::Entry;
using storage::EntryBuilder;
using storage::StreamGroup;
using storage::StreamID;
using storage::StreamObject;
using storage::ValueType;

// ------------------------------------------------------------ shared helpers

bool StreamIdStrict(std::string_view arg, StreamID* out) {
  return storage::ParseStreamID(arg, 0, out);
}

bool StreamIdArg(CommandContext& ctx, std::string_view arg, uint64_t missing_seq, bool strict,
                 StreamID* out, bool* exclusive) {
  if (exclusive != nullptr) {
    *exclusive = false;
    if (arg.size() > 1 && arg[0] == '(') {
      *exclusive = true;
      arg.remove_prefix(1);
    }
  }
  if (!strict && (exclusive == nullptr || !*exclusive)) {
    if (arg == "-") {
      *out = StreamID{};
      return true;
    }
    if (arg == "+") {
      *out = StreamID::Max();
      return true;
    }
  }
  if (!storage::ParseStreamID(arg, missing_seq, out)) {
    ctx.Error(kStreamInvalidId);
    return false;
  }
  return true;
}

storage::StreamLimits StreamLimitsFrom(CommandContext& ctx) {
  storage::StreamLimits l;
  l.max_bytes = size_t(std::max<int64_t>(0, ctx.config().stream_node_max_bytes()));
  l.max_entries = size_t(std::max<int64_t>(0, ctx.config().stream_node_max_entries()));
  return l;
}

void ReplyStreamEntry(CommandContext& ctx, const StreamID& id, const StreamObject::Fields& f) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(id.ToString());
  ctx.reply.ArrayHeader(f.size() * 2);
  for (const auto& [k, v] : f) {
    ctx.reply.Bulk(k);
    ctx.reply.Bulk(v);
  }
}

size_t ReplyStreamRange(CommandContext& ctx, const StreamObject& s, StreamID start, StreamID end,
                        size_t count, bool rev) {
  std::vector<std::pair<StreamID, std::vector<std::pair<std::string, std::string>>>> got;
  s.Range(start, end, rev, [&](const StreamID& id, const StreamObject::Fields& f) {
    std::vector<std::pair<std::string, std::string>> copy;
    copy.reserve(f.size());
    for (const auto& [k, v] : f) copy.emplace_back(std::string(k), std::string(v));
    got.emplace_back(id, std::move(copy));
    return count == 0 || got.size() < count;
  });
  ctx.reply.ArrayHeader(got.size());
  for (const auto& [id, f] : got) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(id.ToString());
    ctx.reply.ArrayHeader(f.size() * 2);
    for (const auto& [k, v] : f) {
      ctx.reply.Bulk(k);
      ctx.reply.Bulk(v);
    }
  }
  return got.size();
}

std::vector<std::string> XClaimForm(std::string_view key, std::string_view group,
                                    const StreamGroup& g, std::string_view id,
                                    const storage::StreamPending& p) {
  return {"XCLAIM",
          std::string(key),
          std::string(group),
          p.consumer,
          "0",
          std::string(id),
          "TIME",
          std::to_string(p.delivery_time),
          "RETRYCOUNT",
          std::to_string(p.delivery_count),
          "FORCE",
          "JUSTID",
          "LASTID",
          g.last_id.ToString()};
}

void PropagateAll(CommandContext& ctx, const std::vector<std::vector<std::string>>& cmds) {
  if (cmds.empty()) return;
  auto one = [&](const std::vector<std::string>& c) {
    std::vector<std::string_view> v(c.begin(), c.end());
    ctx.Propagate(std::span<const std::string_view>(v));
  };
  if (cmds.size() == 1 || ctx.session.exec_log() != nullptr) {
    for (const auto& c : cmds) one(c);
    return;
  }
  std::vector<std::vector<std::string_view>> group;
  group.push_back({"MULTI"});
  for (const auto& c : cmds) group.emplace_back(c.begin(), c.end());
  group.push_back({"EXEC"});
  ctx.log.AppendGroup(ctx.session.db(), group);
  ctx.host.AddDirty(int64_t(cmds.size()));
}

std::string NoGroupError(std::string_view key, std::string_view group, std::string_view suffix) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" +
         std::string(group) + "'" + std::string(suffix);
}

bool StreamForWrite(CommandContext& ctx, KeyGuard& g, StreamObject** out) {
  Entry** link;
  if (!LookupForWrite<StreamObject>(ctx, g, &link)) return false;
  *out = link == nullptr ? nullptr : ValueAs<StreamObject>(*link);
  return true;
}

bool StreamMustNotBlock(CommandContext& ctx) {
  return !ctx.session.can_block() || ctx.session.exec_log() != nullptr;
}

namespace {

// ------------------------------------------------------------ trimming args

enum class TrimKind { kNone, kMaxLen, kMinId };

struct AddTrimArgs {
  TrimKind kind = TrimKind::kNone;
  bool approx = false;
  int64_t maxlen = 0;
  StreamID minid;
  int64_t limit = 0;
  size_t approx_idx = 0;   // index of "~" when approx
  size_t value_idx = 0;    // index of the maxlen / minid value
  bool nomkstream = false;
  bool id_given = false;
  bool seq_given = true;
  StreamID id;
  size_t id_idx = 0;       // XADD: index of the ID argument
};

// Parses XADD's (xadd) or XTRIM's options from args[2]; returns false after
// replying an error. For XADD stops at the ID.
bool ParseAddTrim(CommandContext& ctx, bool xadd, AddTrimArgs* a) {
  const auto& args = ctx.args;
  size_t i = 2;
  bool limit_given = false;
  // MAXLEN's and LIMIT's values: an integer, not negative.
  auto non_negative = [&ctx](std::string_view arg, const char* what, int64_t* out) {
    auto v = ParseInt64(arg);
    if (!v) {
      ctx.Error(errors::kNotInteger);
      return false;
    }
    if (*v < 0) {
      ctx.Error(std::string("ERR The ") + what + " argument must be >= 0.");
      return false;
    }
    *out = *v;
    return true;
  };
  for (; i < args.size(); i++) {
    size_t more = args.size() - 1 - i;
    std::string_view opt = args[i];
    bool maxlen = EqualsIgnoreCase(opt, "maxlen");
    if ((maxlen || EqualsIgnoreCase(opt, "minid")) && more > 0) {
      // MAXLEN|MINID [=|~]: the strategy word, shared by both.
      if (a->kind != TrimKind::kNone) {
        ctx.Error("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return false;
      }
      a->approx = false;
      std::string_view next = args[i + 1];
      if (more >= 2 && next == "~") {
        a->approx = true;
        a->approx_idx = i + 1;
        i++;
      } else if (more >= 2 && next == "=") {
        i++;
      }
    }
    if (xadd && opt == "*") {
      break;
    } else if (maxlen && more > 0) {
      if (!non_negative(args[i + 1], "MAXLEN", &a->maxlen)) return false;
      i++;
      a->kind = TrimKind::kMaxLen;
      a->value_idx = i;
    } else if (EqualsIgnoreCase(opt, "minid") && more > 0) {
      if (!StreamIdArg(ctx, args[i + 1], 0, true, &a->minid)) return false;
      i++;
      a->kind = TrimKind::kMinId;
      a->value_idx = i;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      if (!non_negative(args[i + 1], "LIMIT", &a->limit)) return false;
      limit_given = true;
      i++;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      a->nomkstream = true;
    } else if (xadd) {
      // An explicit ID, "<ms>-*" or a syntax error.
      std::string_view s = opt;
      if (s.size() > 2 && s.substr(s.size() - 2) == "-*") {
        uint64_t ms;
        StreamID tmp;
        if (!storage::ParseStreamID(s.substr(0, s.size() - 2), 0, &tmp)) {
          ctx.Error(kStreamInvalidId);
          return false;
        }
        ms = tmp.ms;
        if (s.substr(0, s.size() - 2).find('-') != std::string_view::npos) {
          ctx.Error(kStreamInvalidId);
          return false;
        }
        a->id = StreamID{ms, 0};
        a->seq_given = false;
      } else {
        if (!storage::ParseStreamID(s, 0, &a->id, &a->seq_given)) {
          ctx.Error(kStreamInvalidId);
          return false;
        }
        a->seq_given = true;
      }
      a->id_given = true;
      break;
    } else {
      ctx.Error(errors::kSyntax);
      return false;
    }
  }
  a->id_idx = i;
  if (a->limit != 0 && a->kind == TrimKind::kNone) {
    ctx.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return false;
  }
  if (!xadd && a->kind == TrimKind::kNone) {
    ctx.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return false;
  }
  if (ctx.session.is_loader() || ctx.session.is_primary_link()) {
    // The primary and the AOF send exact trims (rewritten), never limited.
    a->limit = 0;
  } else if (limit_given) {
    if (!a->approx) {
      ctx.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else if (a->approx) {
    a->limit = 100 * ctx.config().stream_node_max_entries();
    if (a->limit <= 0 || a->limit > 1000000) a->limit = 10000;
  } else {
    a->limit = 0;
  }
  return true;
}

int64_t DoTrim(StreamObject* s, const AddTrimArgs& a) {
  if (a.kind == TrimKind::kMaxLen) return s->TrimMaxLen(uint64_t(a.maxlen), a.approx, a.limit);
  if (a.kind == TrimKind::kMinId) return s->TrimMinId(a.minid, a.approx, a.limit);
  return 0;
}

// The logged form of a trimming command: "~" becomes "=" and the value the
// exact result, so replicas and the AOF trim exactly what we trimmed.
std::vector<std::string> TrimLogForm(CommandContext& ctx, const AddTrimArgs& a,
                                     const StreamObject& s) {
  std::vector<std::string> out(ctx.args.begin(), ctx.args.end());
  if (a.approx) {
    out[a.approx_idx] = "=";
    if (a.kind == TrimKind::kMaxLen) {
      out[a.value_idx] = std::to_string(s.Size());
    } else {
      StreamID first = StreamID::Max();
      s.Range(StreamID{}, StreamID::Max(), false, [&](const StreamID& id, const auto&) {
        first = id;
        return false;
      });
      out[a.value_idx] = first.ToString();
    }
  }
  return out;
}

// ------------------------------------------------------------ XADD

// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value
// [field value ...]
void CmdXAdd(CommandContext& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrim(ctx, true, &a)) return;
  size_t field_pos = a.id_idx + 1;
  if (field_pos > ctx.args.size() || ctx.args.size() - field_pos < 2 ||
      (ctx.args.size() - field_pos) % 2 == 1) {
    ctx.Error(errors::WrongArity(ctx.spec.name));
    return;
  }
  if (a.id_given && a.seq_given && a.id.IsZero()) {
    ctx.Error("ERR The ID specified in XADD must be greater than 0-0");
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StreamObject* s;
  if (!StreamForWrite(ctx, g, &s)) return;
  if (s == nullptr && a.nomkstream) {
    ctx.reply.Null();
    return;
  }
  if (s != nullptr && s->last_id() == StreamID::Max()) {
    ctx.Error("ERR The stream has exhausted the last possible ID, unable to add more items");
    return;
  }
  StreamID last = s != nullptr ? s->last_id() : StreamID{};
  StreamID id;
  bool ok = true;
  if (!a.id_given) {
    uint64_t now = uint64_t(NowMs());
    if (now > last.ms) {
      id = StreamID{now, 0};
    } else {
      id = last;
      ok = id.Incr();
    }
  } else if (!a.seq_given) {
    if (a.id.ms == last.ms) {
      id = last;
      ok = last.seq != UINT64_MAX && id.Incr();
    } else {
      id = StreamID{a.id.ms, 0};
      ok = a.id.ms > last.ms;
    }
  } else {
    id = a.id;
    ok = id > last;
  }
  if (!ok) {
    ctx.Error("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    return;
  }
  if (s == nullptr) {
    s = new StreamObject();
    g.Add(EntryBuilder::Object(g.key(), ValueType::kStream, s, false, 0));
  }
  std::vector<std::string_view> pairs(ctx.args.begin() + long(field_pos), ctx.args.end());
  s->Append(id, pairs, StreamLimitsFrom(ctx));
  std::string idstr = id.ToString();
  ctx.reply.Bulk(idstr);
  ctx.Changed(ctx.args[1], "xadd", kNotifyStream);
  int64_t trimmed = DoTrim(s, a);
  if (trimmed > 0) ctx.Changed(ctx.args[1], "xtrim", kNotifyStream);
  if (a.kind == TrimKind::kNone || !a.approx) {
    // Logged as sent, with the generated ID.
    std::vector<std::string_view> log(ctx.args.begin(), ctx.args.end());
    log[a.id_idx] = idstr;
    ctx.Propagate(std::span<const std::string_view>(log));
    return;
  }
  std::vector<std::string> log = TrimLogForm(ctx, a, *s);
  log[a.id_idx] = idstr;
  PropagateAll(ctx, {log});
}

// ------------------------------------------------------------ XTRIM

// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
void CmdXTrim(CommandContext& ctx) {
  AddTrimArgs a;
  if (!ParseAddTrim(ctx, false, &a)) return;
  if (a.id_idx != ctx.args.size()) {
    ctx.Error(errors::kSyntax);
    return;
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StreamObject* s;
  if (!StreamForWrite(ctx, g, &s)) return;
  if (s == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  int64_t trimmed = DoTrim(s, a);
  if (trimmed > 0) {
    ctx.Changed(ctx.args[1], "xtrim", kNotifyStream);
    PropagateAll(ctx, {TrimLogForm(ctx, a, *s)});
  }
  ctx.reply.Integer(trimmed);
}

// ------------------------------------------------------------ XRANGE / XREVRANGE

// XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT count]
void RangeGeneric(CommandContext& ctx, bool rev) {
  std::string_view start_arg = rev ? ctx.args[3] : ctx.args[2];
  std::string_view end_arg = rev ? ctx.args[2] : ctx.args[3];
  StreamID start, end;
  bool sex, eex;
  if (!StreamIdArg(ctx, start_arg, 0, false, &start, &sex)) return;
  if (sex && !start.Incr()) {
    ctx.Error("ERR invalid start ID for the interval");
    return;
  }
  if (!StreamIdArg(ctx, end_arg, UINT64_MAX, false, &end, &eex)) return;
  if (eex && !end.Decr()) {
    ctx.Error("ERR invalid end ID for the interval");
    return;
  }
  int64_t count = -1;
  for (size_t j = 4; j < ctx.args.size(); j++) {
    size_t additional = ctx.args.size() - j - 1;
    if (EqualsIgnoreCase(ctx.args[j], "count") && additional >= 1) {
      auto v = ParseInt64(ctx.args[j + 1]);
      if (!v) {
        ctx.Error(errors::kNotInteger);
        return;
      }
      count = *v < 0 ? 0 : *v;
      j++;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StreamObject* s;
  if (!LookupForRead<StreamObject>(ctx, g, &s)) return;
  if (s == nullptr) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  if (count == 0) {
    ctx.reply.NullArray();
    return;
  }
  ReplyStreamRange(ctx, *s, start, end, count < 0 ? 0 : size_t(count), rev);
}
void CmdXRange(CommandContext& ctx) { RangeGeneric(ctx, false); }
void CmdXRevRange(CommandContext& ctx) { RangeGeneric(ctx, true); }

// XLEN key
void CmdXLen(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StreamObject* s;
  if (!LookupForRead<StreamObject>(ctx, g, &s)) return;
  ctx.reply.Integer(s == nullptr ? 0 : int64_t(s->Size()));
}

// XDEL key id [id ...]
void CmdXDel(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[1]);
  StreamObject* s;
  if (!StreamForWrite(ctx, g, &s)) return;
  if (s == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  std::vector<StreamID> ids(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); j++) {
    if (!StreamIdArg(ctx, ctx.args[j], 0, true, &ids[j - 2])) return;
  }
  int64_t deleted = 0;
  bool first_entry = false;
  for (const StreamID& id : ids) {
    if (!s->Delete(id)) continue;
    if (id == s->first_id()) first_entry = true;
    if (id > s->max_deleted_id()) s->set_max_deleted_id(id);
    deleted++;
  }
  (void)first_entry;  // Delete keeps first_id current
  if (deleted > 0) {
    ctx.Changed(ctx.args[1], "xdel", kNotifyStream);
    ctx.PropagateAsIs();
  }
  ctx.reply.Integer(deleted);
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
void CmdXSetId(CommandContext& ctx) {
  StreamID id, max_xdel;
  int64_t entries_added = -1;
  if (!StreamIdArg(ctx, ctx.args[2], 0, true, &id)) return;
  for (size_t i = 3; i < ctx.args.size();) {
    size_t more = ctx.args.size() - 1 - i;
    std::string_view opt = ctx.args[i];
    if (EqualsIgnoreCase(opt, "entriesadded") && more > 0) {
      auto v = ParseInt64(ctx.args[i + 1]);
      if (!v) {
        ctx.Error(errors::kNotInteger);
        return;
      }
      if (*v < 0) {
        ctx.Error("ERR entries_added must be positive");
        return;
      }
      entries_added = *v;
      i += 2;
    } else if (EqualsIgnoreCase(opt, "maxdeletedid") && more > 0) {
      if (!StreamIdArg(ctx, ctx.args[i + 1], 0, true, &max_xdel)) return;
      if (id < max_xdel) {
        ctx.Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        return;
      }
      i += 2;
    } else {
      ctx.Error(errors::kSyntax);
      return;
    }
  }
  KeyGuard g(ctx.db(), ctx.args[1]);
  StreamObject* s;
  if (!StreamForWrite(ctx, g, &s)) return;
  if (s == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  // Redis 7.0 compares the ID with the top item and a MAXDELETEDID given here,
  // not with the stream's current max_deleted_entry_id.
  if (s->Size() > 0) {
    StreamID maxid;
    s->Range(StreamID{}, StreamID::Max(), true, [&](const StreamID& i, const auto&) {
      maxid = i;
      return false;
    });
    if (id < maxid) {
      ctx.Error("ERR The ID specified in XSETID is smaller than the target stream top item");
      return;
    }
    if (entries_added != -1 && int64_t(s->Size()) > entries_added) {
      ctx.Error("ERR The entries_added specified in XSETID is smaller than the target stream length");
      return;
    }
  }
  s->set_last_id(id);
  if (entries_added != -1) s->set_entries_added(uint64_t(entries_added));
  if (!max_xdel.IsZero()) s->set_max_deleted_id(max_xdel);
  ctx.Changed(ctx.args[1], "xsetid", kNotifyStream);
  ctx.PropagateAsIs();
  ctx.reply.Ok();
}

// ------------------------------------------------------------ XINFO

// The node count of a radix tree holding the nodes' 16-byte big-endian master
// IDs, as Redis's rax would have it (XINFO's radix-tree-nodes): the root,
// every key, every branching prefix and every child of one.
size_t RaxNodes(const StreamObject& s, const std::vector<StreamID>& masters) {
  (void)s;
  auto enc = [](const StreamID& id) {
    std::string k(16, '\0');
    for (int i = 0; i < 8; i++) {
      k[size_t(i)] = char(uint8_t(id.ms >> (56 - 8 * i)));
      k[size_t(8 + i)] = char(uint8_t(id.seq >> (56 - 8 * i)));
    }
    return k;
  };
  std::set<std::string> nodes;
  nodes.insert("");
  std::string prev;
  for (size_t i = 0; i < masters.size(); i++) {
    std::string k = enc(masters[i]);
    nodes.insert(k);
    if (i > 0) {
      size_t l = 0;
      while (l < 16 && prev[l] == k[l]) l++;
      nodes.insert(k.substr(0, l));
      if (l < 16) {
        nodes.insert(prev.substr(0, l + 1));
        nodes.insert(k.substr(0, l + 1));
      }
    }
    prev = std::move(k);
  }
  return nodes.size();
}

void ReplyLag(CommandContext& ctx, const StreamObject& s, const StreamGroup& grp) {
  auto lag = s.Lag(grp);
  if (lag) {
    ctx.reply.Integer(*lag);
  } else {
    ctx.reply.Null();
  }
}

void ReplyEntriesRead(CommandContext& ctx, const StreamGroup& grp) {
  if (grp.entries_read == storage::kInvalidEntriesRead) {
    ctx.reply.Null();
  } else {
    ctx.reply.Integer(grp.entries_read);
  }
}

void ReplyEdgeEntry(CommandContext& ctx, const StreamObject& s, bool last) {
  bool found = false;
  s.Range(StreamID{}, StreamID::Max(), last, [&](const StreamID& id, const auto& f) {
    ReplyStreamEntry(ctx, id, f);
    found = true;
    return false;
  });
  if (!found) ctx.reply.Null();
}

// XINFO STREAM key [FULL [COUNT count]]
void CmdXInfoStream(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  StreamObject* s;
  if (!LookupForRead<StreamObject>(ctx, g, &s)) return;
  if (s == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  bool full = false;
  int64_t count = 10;
  size_t optc = ctx.args.size() - 3;
  if (optc > 0) {
    if ((optc != 1 && optc != 3) || !EqualsIgnoreCase(ctx.args[3], "full") ||
        (optc == 3 && !EqualsIgnoreCase(ctx.args[4], "count"))) {
      ctx.Error(errors::SubcommandSyntax(ctx.args[1], "XINFO"));
      return;
    }
    full = true;
    if (optc == 3) {
      auto v = ParseInt64(ctx.args[5]);
      if (!v) {
        ctx.Error(errors::kNotInteger);
        return;
      }
      count = *v < 0 ? 10 : *v;
    }
  }
  std::vector<StreamID> masters;
  s->ForEachNode([&](const StreamID& m) { masters.push_back(m); });
  ctx.reply.MapHeader(full ? 9 : 10);
  ctx.reply.Bulk("length");
  ctx.reply.Integer(int64_t(s->Size()));
  ctx.reply.Bulk("radix-tree-keys");
  ctx.reply.Integer(int64_t(s->node_count()));
  ctx.reply.Bulk("radix-tree-nodes");
  ctx.reply.Integer(int64_t(RaxNodes(*s, masters)));
  ctx.reply.Bulk("last-generated-id");
  ctx.reply.Bulk(s->last_id().ToString());
  ctx.reply.Bulk("max-deleted-entry-id");
  ctx.reply.Bulk(s->max_deleted_id().ToString());
  ctx.reply.Bulk("entries-added");
  ctx.reply.Integer(int64_t(s->entries_added()));
  ctx.reply.Bulk("recorded-first-entry-id");
  ctx.reply.Bulk(s->first_id().ToString());
  if (!full) {
    ctx.reply.Bulk("groups");
    ctx.reply.Integer(int64_t(s->groups().size()));
    ctx.reply.Bulk("first-entry");
    ReplyEdgeEntry(ctx, *s, false);
    ctx.reply.Bulk("last-entry");
    ReplyEdgeEntry(ctx, *s, true);
    return;
  }
  ctx.reply.Bulk("entries");
  ReplyStreamRange(ctx, *s, StreamID{}, StreamID::Max(), size_t(count), false);
  ctx.reply.Bulk("groups");
  ctx.reply.ArrayHeader(s->groups().size());
  for (const auto& [name, grp] : s->groups()) {
    ctx.reply.MapHeader(7);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("last-delivered-id");
    ctx.reply.Bulk(grp.last_id.ToString());
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, grp);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, *s, grp);
    ctx.reply.Bulk("pel-count");
    ctx.reply.Integer(int64_t(grp.pel.size()));
    ctx.reply.Bulk("pending");
    size_t n = count == 0 ? grp.pel.size() : std::min(grp.pel.size(), size_t(count));
    ctx.reply.ArrayHeader(n);
    size_t i = 0;
    for (auto it = grp.pel.begin(); i < n; ++it, ++i) {
      ctx.reply.ArrayHeader(4);
      ctx.reply.Bulk(it->first.ToString());
      ctx.reply.Bulk(it->second.consumer);
      ctx.reply.Integer(it->second.delivery_time);
      ctx.reply.Integer(int64_t(it->second.delivery_count));
    }
    ctx.reply.Bulk("consumers");
    ctx.reply.ArrayHeader(grp.consumers.size());
    for (const auto& [cname, c] : grp.consumers) {
      ctx.reply.MapHeader(4);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(cname);
      ctx.reply.Bulk("seen-time");
      ctx.reply.Integer(c.seen_time);
      ctx.reply.Bulk("pel-count");
      ctx.reply.Integer(int64_t(c.pel.size()));
      ctx.reply.Bulk("pending");
      size_t m = count == 0 ? c.pel.size() : std::min(c.pel.size(), size_t(count));
      ctx.reply.ArrayHeader(m);
      size_t k = 0;
      for (auto it = c.pel.begin(); k < m; ++it, ++k) {
        const auto& p = grp.pel.at(*it);
        ctx.reply.ArrayHeader(3);
        ctx.reply.Bulk(it->ToString());
        ctx.reply.Integer(p.delivery_time);
        ctx.reply.Integer(int64_t(p.delivery_count));
      }
    }
  }
}

// XINFO GROUPS key
void CmdXInfoGroups(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  StreamObject* s;
  if (!LookupForRead<StreamObject>(ctx, g, &s)) return;
  if (s == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  ctx.reply.ArrayHeader(s->groups().size());
  for (const auto& [name, grp] : s->groups()) {
    ctx.reply.MapHeader(6);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(name);
    ctx.reply.Bulk("consumers");
    ctx.reply.Integer(int64_t(grp.consumers.size()));
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(int64_t(grp.pel.size()));
    ctx.reply.Bulk("last-delivered-id");
    ctx.reply.Bulk(grp.last_id.ToString());
    ctx.reply.Bulk("entries-read");
    ReplyEntriesRead(ctx, grp);
    ctx.reply.Bulk("lag");
    ReplyLag(ctx, *s, grp);
  }
}

// XINFO CONSUMERS key group
void CmdXInfoConsumers(CommandContext& ctx) {
  KeyGuard g(ctx.db(), ctx.args[2]);
  StreamObject* s;
  if (!LookupForRead<StreamObject>(ctx, g, &s)) return;
  if (s == nullptr) {
    ctx.Error(errors::kNoSuchKey);
    return;
  }
  StreamGroup* grp = s->FindGroup(ctx.args[3]);
  if (grp == nullptr) {
    ctx.Error("NOGROUP No such consumer group '" + std::string(ctx.args[3]) + "' for key name '" +
              std::string(ctx.args[2]) + "'");
    return;
  }
  int64_t now = NowMs();
  ctx.reply.ArrayHeader(grp->consumers.size());
  for (const auto& [cname, c] : grp->consumers) {
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(cname);
    ctx.reply.Bulk("pending");
    ctx.reply.Integer(int64_t(c.pel.size()));
    ctx.reply.Bulk("idle");
    int64_t idle = now - c.seen_time;
    ctx.reply.Integer(idle < 0 ? 0 : idle);
  }
}

void CmdXInfoHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Prints this help."};
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void CmdXInfoContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

}  // namespace

void RegisterStreamFamily(CommandTable& t) {
  const char* g = "stream";
  t.Add(Spec(g, "xadd", -5, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @stream @fast", CmdXAdd));
  t.Add(Spec(g, "xrange", -4, kReadOnly, 1, 1, 1, "@read @stream @slow", CmdXRange));
  t.Add(Spec(g, "xrevrange", -4, kReadOnly, 1, 1, 1, "@read @stream @slow", CmdXRevRange));
  t.Add(Spec(g, "xlen", 2, kReadOnly | kFast, 1, 1, 1, "@read @stream @fast", CmdXLen));
  t.Add(Spec(g, "xdel", -3, kWrite | kFast, 1, 1, 1, "@write @stream @fast", CmdXDel));
  t.Add(Spec(g, "xtrim", -4, kWrite, 1, 1, 1, "@write @stream @slow", CmdXTrim));
  t.Add(Spec(g, "xsetid", -3, kWrite | kDenyOom | kFast, 1, 1, 1, "@write @stream @fast",
             CmdXSetId));
  t.Add(Spec(g, "xinfo", -2, kNoFlags, 0, 0, 0, "@slow", CmdXInfoContainer));
  t.AddSub("xinfo", Spec(g, "stream", -3, kReadOnly, 2, 2, 1, "@read @stream @slow",
                         CmdXInfoStream));
  t.AddSub("xinfo", Spec(g, "groups", 3, kReadOnly, 2, 2, 1, "@read @stream @slow",
                         CmdXInfoGroups));
  t.AddSub("xinfo", Spec(g, "consumers", 4, kReadOnly, 2, 2, 1, "@read @stream @slow",
                         CmdXInfoConsumers));
  t.AddSub("xinfo", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@stream @slow", CmdXInfoHelp));
}

}  // namespace basalt::commands
