// CONSISTENCY: the online consistency check between a primary and its Basalt
// replicas (docs/consistency.md). Basalt-only, admin.
//
//   CONSISTENCY START [RANGES r [r ...]]   primary: a digest pass at one log
//       offset on this node and, through a marker in the replication stream,
//       on every replica at the same offset. Replies id, offset, replicas.
//   CONSISTENCY MARK id range-count [r ...]  the marker (from the primary's
//       stream only): starts this node's pass for `id`.
//   CONSISTENCY RESULT id                   this node's pass: state, offset,
//       keys, per-range digests, and the listed keys of the RANGES asked for.
//   CONSISTENCY REPORT id ok|differences offset checked skipped ranges keys
//       records a comparison's outcome (INFO consistency, /metrics).
//   CONSISTENCY RESYNC ip:port             repair: that replica reconnects
//       and takes a full sync.
//   CONSISTENCY HELP
//
// The comparison itself is done by the caller (scripts/basalt-check), which
// reads RESULT from the primary and from each replica.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/consistency.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "commands/session.h"
#include "common/clock.h"
#include "common/numbers.h"
#include "common/strings.h"
#include "persistence/range_digest.h"
#include "protocol/reply_builder.h"
#include "replication/write_log.h"

namespace basalt::commands {
namespace {

constexpr size_t kMaxDetailRanges = 256;

std::string Hex64(uint64_t v) {
  char buf[17];
  snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)v);
  return buf;
}

// Starts this node's digest pass `id`. On the primary (`marker` non-empty)
// the marker enters the replication stream at the pass's instant.
// Returns the pass, or an error text.
StatusOr<std::shared_ptr<DigestPass>> StartPass(CommandContext& ctx, const std::string& id,
                                                uint32_t range_count,
                                                const std::vector<uint32_t>& detail,
                                                const std::vector<std::string>& marker) {
  ConsistencyStore& store = ctx.admin().consistency();
  std::shared_ptr<DigestPass> pass = store.Begin(id, range_count, detail);
  auto digest = std::make_shared<persistence::RangeDigest>(range_count, detail);
  replication::WriteLog& log = ctx.log;
  int64_t offset = -1;
  const int64_t t0 = NowUs();
  Status st = ctx.admin().StartDigest(
      [&](int64_t off) {
        // Every shard is locked: no write lands between the dataset the walk
        // sees and the marker's place in the stream.
        offset = off;
        if (!marker.empty()) {
          std::vector<std::string_view> args(marker.begin(), marker.end());
          log.AppendStreamOnly(args);
        }
        store.SetInstant(pass, off, 0);
      },
      digest,
      [&store, pass, digest](Status s) {
        store.Finish(pass, s.ok() ? digest : nullptr, s.ok() ? "" : s.message());
      });
  if (!st.ok()) {
    store.Finish(pass, nullptr, st.message());
    return Status::Error("ERR consistency check: " + st.message() + ", retry later");
  }
  store.SetInstant(pass, offset, NowUs() - t0);
  return pass;
}

// Parses range ids (each < range_count) from p to the end.
bool ParseRanges(ArgParser& p, uint32_t range_count, std::vector<uint32_t>* out,
                 std::string* error) {
  while (p.HasNext()) {
    int64_t r = p.Next<int64_t>();
    if (!p.ok()) {
      *error = p.error();
      return false;
    }
    if (r < 0 || r >= int64_t(range_count)) {
      *error = "ERR range out of bounds (0.." + std::to_string(range_count - 1) + ")";
      return false;
    }
    out->push_back(uint32_t(r));
  }
  if (out->size() > kMaxDetailRanges) {
    *error = "ERR at most " + std::to_string(kMaxDetailRanges) + " ranges at a time";
    return false;
  }
  return true;
}

// CONSISTENCY START [RANGES r [r ...]]
void CmdConsistencyStart(CommandContext& ctx) {
  if (ctx.host.is_replica()) {
    return ctx.Error("ERR CONSISTENCY START runs on a primary (this node is a replica)");
  }
  const uint32_t range_count = persistence::RangeDigest::kDefaultRanges;
  std::vector<uint32_t> detail;
  ArgParser p(ctx.args, 2);
  if (p.HasNext()) {
    if (!p.Check("RANGES") || !p.HasNext()) return ctx.Error(errors::kSyntax);
    std::string error;
    if (!ParseRanges(p, range_count, &detail, &error)) return ctx.Error(error);
  }
  // The marker is a command only Basalt knows: a redis-server replica must
  // never receive it, so with one attached no pass starts.
  int64_t basalt = 0;
  std::string others;
  for (const auto& [addr, is_basalt] : ctx.admin().ReplicaPeers()) {
    if (is_basalt) {
      basalt++;
    } else {
      others += (others.empty() ? "" : ",") + addr;
    }
  }
  if (!others.empty()) {
    return ctx.Error(
        "ERR consistency check refused: replica(s) " + others +
        " are not Basalt (no REPLCONF capa basalt) and cannot receive the check's marker; "
        "detach them or check with DEBUG DIGEST while writes are paused");
  }
  // Chained replicas: a Basalt replica forwards the marker to its own
  // replicas, so none below may be redis-server either.
  std::string via;
  for (const auto& [addr, n] : ctx.admin().ForeignBelowPeers()) {
    via += (via.empty() ? "" : ",") + addr + " (" + std::to_string(n) + ")";
  }
  if (!via.empty()) {
    return ctx.Error("ERR consistency check refused: replica(s) " + via +
                     " have replicas below them that are not Basalt and cannot receive the "
                     "check's marker; detach them or check with DEBUG DIGEST while writes "
                     "are paused");
  }
  std::string id = ctx.admin().consistency().NextId();
  std::vector<std::string> marker = {"CONSISTENCY", "MARK", id, std::to_string(range_count)};
  for (uint32_t r : detail) marker.push_back(std::to_string(r));
  auto pass = StartPass(ctx, id, range_count, detail, marker);
  if (!pass.ok()) return ctx.Error(pass.status().message());
  std::shared_ptr<const DigestPass> now = ctx.admin().consistency().Get(id);
  ctx.reply.MapHeader(4);
  ctx.reply.Bulk("id");
  ctx.reply.Bulk(id);
  ctx.reply.Bulk("offset");
  ctx.reply.Integer(now != nullptr ? now->offset : -1);
  ctx.reply.Bulk("replicas");
  ctx.reply.Integer(basalt);
  ctx.reply.Bulk("instant_usec");
  ctx.reply.Integer(now != nullptr ? now->instant_us : 0);
}

// CONSISTENCY MARK id range-count [r ...]   (the primary's stream only)
void CmdConsistencyMark(CommandContext& ctx) {
  if (!ctx.session.is_primary_link()) {
    return ctx.Error("ERR CONSISTENCY MARK is sent by a primary in its replication stream");
  }
  if (ctx.args.size() < 4) return ctx.Error(errors::WrongArity("consistency|mark"));
  std::string id(ctx.args[2]);
  auto count = ParseInt64(ctx.args[3]);
  if (!count || *count < 1 || *count > (1 << 20)) return ctx.Error("ERR bad range count");
  std::vector<uint32_t> detail;
  ArgParser p(ctx.args, 4);
  std::string error;
  if (!ParseRanges(p, uint32_t(*count), &detail, &error)) return ctx.Error(error);
  // A failure (another snapshot runs) is kept in the pass for RESULT.
  (void)StartPass(ctx, id, uint32_t(*count), detail, {});
  ctx.reply.Ok();
}

// CONSISTENCY RESULT id
void CmdConsistencyResult(CommandContext& ctx) {
  std::shared_ptr<const DigestPass> pass = ctx.admin().consistency().Get(std::string(ctx.args[2]));
  if (pass == nullptr) return ctx.reply.Null();
  protocol::ReplyBuilder& r = ctx.reply;
  const char* state = pass->state == DigestPass::State::kRunning ? "running"
                      : pass->state == DigestPass::State::kDone  ? "done"
                                                                 : "failed";
  r.MapHeader(11);
  r.Bulk("id");
  r.Bulk(pass->id);
  r.Bulk("state");
  r.Bulk(state);
  r.Bulk("error");
  r.Bulk(pass->error);
  r.Bulk("offset");
  r.Integer(pass->offset);
  r.Bulk("range_count");
  r.Integer(pass->range_count);
  r.Bulk("keys");
  r.Integer(pass->digest != nullptr ? int64_t(pass->digest->keys()) : 0);
  r.Bulk("duration_ms");
  r.Integer(pass->state == DigestPass::State::kRunning ? 0 : pass->duration_ms);
  r.Bulk("instant_usec");
  r.Integer(pass->instant_us);
  // Ranges: "sum:count" in hex per range, comma separated, "" when empty.
  r.Bulk("ranges");
  std::string ranges;
  if (pass->digest != nullptr) {
    const persistence::RangeDigest& d = *pass->digest;
    ranges.reserve(size_t(d.range_count()) * 8);
    for (uint32_t i = 0; i < d.range_count(); i++) {
      if (i > 0) ranges.push_back(',');
      if (d.range_keys(i) == 0) continue;
      ranges += Hex64(d.range_sum(i));
      ranges += ':';
      ranges += std::to_string(d.range_keys(i));
    }
  }
  r.Bulk(ranges);
  // Listed keys: [db, key, digest] each.
  r.Bulk("keys_listed");
  r.ArrayHeader(pass->detail.size());
  for (const auto& k : pass->detail) {
    r.ArrayHeader(3);
    r.Integer(k.db);
    r.Bulk(k.key);
    r.Bulk(Hex64(k.digest));
  }
  r.Bulk("keys_truncated");
  r.Integer(pass->detail_truncated ? 1 : 0);
}

// CONSISTENCY REPORT id ok|differences offset checked skipped ranges keys
void CmdConsistencyReport(CommandContext& ctx) {
  if (ctx.args.size() != 9) return ctx.Error(errors::WrongArity("consistency|report"));
  CheckOutcome o;
  o.id = std::string(ctx.args[2]);
  if (EqualsIgnoreCase(ctx.args[3], "ok")) {
    o.ok = true;
  } else if (!EqualsIgnoreCase(ctx.args[3], "differences")) {
    return ctx.Error(errors::kSyntax);
  }
  ArgParser p(ctx.args, 4);
  o.offset = p.Next<int64_t>();
  o.replicas_checked = p.Next<int64_t>();
  o.replicas_skipped = p.Next<int64_t>();
  o.differing_ranges = p.Next<int64_t>();
  o.differing_keys = p.Next<int64_t>();
  if (!p.ok()) return ctx.Error(p.error());
  o.time_ms = NowMs();
  ctx.admin().consistency().Record(o);
  ctx.reply.Ok();
}

// CONSISTENCY RESYNC ip:port
// Repair: the replica announced as ip:port (INFO replication's slaveN ip and
// port) loses its link and must take a full sync when it reconnects.
void CmdConsistencyResync(CommandContext& ctx) {
  if (ctx.host.is_replica()) {
    return ctx.Error("ERR CONSISTENCY RESYNC runs on a primary (this node is a replica)");
  }
  if (!ctx.admin().consistency().ForceFullSync(std::string(ctx.args[2]))) {
    return ctx.Error("ERR no replica " + std::string(ctx.args[2]) + " is attached");
  }
  ctx.reply.Ok();
}

void CmdConsistencyHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "CONSISTENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "START [RANGES <range> [<range> ...]]",
      "    On a primary: digest this node and every Basalt replica at one replication",
      "    offset (a marker in the replication stream). Returns the check id.",
      "RESULT <id>",
      "    This node's digest for check <id>: state, offset, keys, per-range digests",
      "    and, for the RANGES of START, every key's digest.",
      "REPORT <id> ok|differences <offset> <checked> <skipped> <ranges> <keys>",
      "    Record the outcome of a comparison (INFO consistency, metrics).",
      "RESYNC <ip:port>",
      "    Repair: make the replica at ip:port (as INFO replication lists it) reconnect",
      "    and take a full sync.",
      "MARK <id> <range-count> [<range> ...]",
      "    The marker itself (sent by a primary in its replication stream only).",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void CmdConsistencyContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

}  // namespace

void RegisterConsistencyFamily(CommandTable& t) {
  const char* g = "server";
  const CommandFlag admin = kAdmin | kNoScript | kNoMulti | kStale;
  const char* acl = "@admin @slow @dangerous";
  t.Add(Spec(g, "consistency", -2, kNoFlags, 0, 0, 0, "@slow", CmdConsistencyContainer));
  t.AddSub("consistency", Spec(g, "start", -2, admin, 0, 0, 0, acl, CmdConsistencyStart));
  t.AddSub("consistency", Spec(g, "mark", -4, admin | kLoading, 0, 0, 0, acl, CmdConsistencyMark));
  t.AddSub("consistency",
           Spec(g, "result", 3, admin | kLoading, 0, 0, 0, acl, CmdConsistencyResult));
  t.AddSub("consistency", Spec(g, "report", 9, admin, 0, 0, 0, acl, CmdConsistencyReport));
  t.AddSub("consistency", Spec(g, "resync", 3, admin, 0, 0, 0, acl, CmdConsistencyResync));
  t.AddSub("consistency",
           Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@slow", CmdConsistencyHelp));
}

}  // namespace basalt::commands
