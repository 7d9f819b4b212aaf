// Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE SSUBSCRIBE
// SUNSUBSCRIBE PUBLISH SPUBLISH PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS
// SHARDNUMSUB). Delivery is in server/pubsub.cc.
#include <string>
#include <vector>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "replication/write_log.h"

namespace basalt::commands {
namespace {

const char* Verb(SubKind kind, bool sub) {
  switch (kind) {
    case SubKind::kChannel:
      return sub ? "subscribe" : "unsubscribe";
    case SubKind::kPattern:
      return sub ? "psubscribe" : "punsubscribe";
    case SubKind::kShard:
      break;
  }
  return sub ? "ssubscribe" : "sunsubscribe";
}

// The count a (un)subscribe reply carries: shard channels are counted apart.
int64_t Count(CommandContext& ctx, SubKind kind) {
  return kind == SubKind::kShard ? int64_t(ctx.session.subscriptions(kind).size())
                                 : int64_t(ctx.session.sub_count());
}

void UpdateCounters(CommandContext& ctx) { ctx.session.UpdateSubCounts(); }

void SubscribeGeneric(CommandContext& ctx, SubKind kind) {
  auto& mine = ctx.session.subscriptions(kind);
  for (size_t i = 1; i < ctx.args.size(); i++) {
    std::string name(ctx.args[i]);
    if (mine.insert(name).second) ctx.admin().pubsub().Subscribe(&ctx.session, kind, name);
    UpdateCounters(ctx);
    ctx.reply.PushHeader(3);
    ctx.reply.Bulk(Verb(kind, true));
    ctx.reply.Bulk(name);
    ctx.reply.Integer(Count(ctx, kind));
  }
}

void UnsubscribeGeneric(CommandContext& ctx, SubKind kind) {
  auto& mine = ctx.session.subscriptions(kind);
  std::vector<std::string> names;
  if (ctx.args.size() > 1) {
    for (size_t i = 1; i < ctx.args.size(); i++) names.emplace_back(ctx.args[i]);
  } else {
    names.assign(mine.begin(), mine.end());
    if (names.empty()) {
      ctx.reply.PushHeader(3);
      ctx.reply.Bulk(Verb(kind, false));
      ctx.reply.Null();
      ctx.reply.Integer(Count(ctx, kind));
      return;
    }
  }
  for (const std::string& name : names) {
    if (mine.erase(name) > 0) ctx.admin().pubsub().Unsubscribe(&ctx.session, kind, name);
    UpdateCounters(ctx);
    ctx.reply.PushHeader(3);
    ctx.reply.Bulk(Verb(kind, false));
    ctx.reply.Bulk(name);
    ctx.reply.Integer(Count(ctx, kind));
  }
}

// SUBSCRIBE channel [channel ...]
void CmdSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, SubKind::kChannel); }
// UNSUBSCRIBE [channel [channel ...]]
void CmdUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, SubKind::kChannel); }
// PSUBSCRIBE pattern [pattern ...]
void CmdPSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, SubKind::kPattern); }
// PUNSUBSCRIBE [pattern [pattern ...]]
void CmdPUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, SubKind::kPattern); }
// SSUBSCRIBE shardchannel [shardchannel ...]
void CmdSSubscribe(CommandContext& ctx) { SubscribeGeneric(ctx, SubKind::kShard); }
// SUNSUBSCRIBE [shardchannel [shardchannel ...]]
void CmdSUnsubscribe(CommandContext& ctx) { UnsubscribeGeneric(ctx, SubKind::kShard); }

// PUBLISH channel message
void CmdPublish(CommandContext& ctx) {
  ctx.reply.Integer(
      ctx.admin().pubsub().Publish(SubKind::kChannel, ctx.args[1], ctx.args[2], &ctx.session));
  // Replicas' subscribers get it too (as in Redis; not written to the AOF).
  // Without replicas there is nobody to feed: no trip through the log's lock.
  if (ctx.admin().has_replicas()) {
    std::string_view cmd[3] = {"PUBLISH", ctx.args[1], ctx.args[2]};
    ctx.host.write_log().AppendStreamOnly(cmd);
  }
}

// SPUBLISH shardchannel message
void CmdSPublish(CommandContext& ctx) {
  ctx.reply.Integer(
      ctx.admin().pubsub().Publish(SubKind::kShard, ctx.args[1], ctx.args[2], &ctx.session));
}

void ChannelsGeneric(CommandContext& ctx, SubKind kind) {
  if (ctx.args.size() > 3) {
    ctx.Error(errors::SubcommandSyntax(ctx.args[1], "PUBSUB"));
    return;
  }
  bool all = ctx.args.size() == 2;
  auto names = ctx.admin().pubsub().Channels(kind, all ? "" : ctx.args[2], all);
  ctx.reply.ArrayHeader(names.size());
  for (const auto& n : names) ctx.reply.Bulk(n);
}

void NumSubGeneric(CommandContext& ctx, SubKind kind) {
  ctx.reply.ArrayHeader((ctx.args.size() - 2) * 2);
  for (size_t i = 2; i < ctx.args.size(); i++) {
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.Integer(ctx.admin().pubsub().NumSub(kind, ctx.args[i]));
  }
}

// PUBSUB CHANNELS [pattern]
void CmdPubsubChannels(CommandContext& ctx) { ChannelsGeneric(ctx, SubKind::kChannel); }
// PUBSUB SHARDCHANNELS [pattern]
void CmdPubsubShardChannels(CommandContext& ctx) { ChannelsGeneric(ctx, SubKind::kShard); }
// PUBSUB NUMSUB [channel [channel ...]]
void CmdPubsubNumSub(CommandContext& ctx) { NumSubGeneric(ctx, SubKind::kChannel); }
// PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]
void CmdPubsubShardNumSub(CommandContext& ctx) { NumSubGeneric(ctx, SubKind::kShard); }
// PUBSUB NUMPAT
void CmdPubsubNumPat(CommandContext& ctx) { ctx.reply.Integer(ctx.admin().pubsub().NumPat()); }

void CmdPubsubHelp(CommandContext& ctx) {
  static const char* kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: '*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.SimpleString(l);
}

void CmdContainer(CommandContext& ctx) { ctx.Error(errors::WrongArity(ctx.spec.name)); }

}  // namespace

void RegisterPubsubFamily(CommandTable& t) {
  const char* g = "pubsub";
  const CommandFlag sub_flags = kPubSub | kNoScript | kLoading | kStale;
  t.Add(Spec(g, "subscribe", -2, sub_flags, 0, 0, 0, "@pubsub @slow", CmdSubscribe));
  t.Add(Spec(g, "unsubscribe", -1, sub_flags, 0, 0, 0, "@pubsub @slow", CmdUnsubscribe));
  t.Add(Spec(g, "psubscribe", -2, sub_flags, 0, 0, 0, "@pubsub @slow", CmdPSubscribe));
  t.Add(Spec(g, "punsubscribe", -1, sub_flags, 0, 0, 0, "@pubsub @slow", CmdPUnsubscribe));
  t.Add(Spec(g, "ssubscribe", -2, sub_flags, 1, -1, 1, "@pubsub @slow", CmdSSubscribe));
  t.Add(Spec(g, "sunsubscribe", -1, sub_flags, 1, -1, 1, "@pubsub @slow", CmdSUnsubscribe));
  t.Add(Spec(g, "publish", 3, kPubSub | kLoading | kStale | kFast, 0, 0, 0, "@pubsub @fast",
             CmdPublish));
  t.Add(Spec(g, "spublish", 3, kPubSub | kLoading | kStale | kFast, 1, 1, 1, "@pubsub @fast",
             CmdSPublish));
  t.Add(Spec(g, "pubsub", -2, kNoFlags, 0, 0, 0, "@slow", CmdContainer));
  const CommandFlag f = kPubSub | kLoading | kStale;
  t.AddSub("pubsub", Spec(g, "channels", -2, f, 0, 0, 0, "@pubsub @slow", CmdPubsubChannels));
  t.AddSub("pubsub", Spec(g, "numsub", -2, f, 0, 0, 0, "@pubsub @slow", CmdPubsubNumSub));
  t.AddSub("pubsub", Spec(g, "numpat", 2, f, 0, 0, 0, "@pubsub @slow", CmdPubsubNumPat));
  t.AddSub("pubsub", Spec(g, "shardchannels", -2, f, 0, 0, 0, "@pubsub @slow",
                          CmdPubsubShardChannels));
  t.AddSub("pubsub", Spec(g, "shardnumsub", -2, f, 0, 0, 0, "@pubsub @slow",
                          CmdPubsubShardNumSub));
  t.AddSub("pubsub", Spec(g, "help", 2, kLoading | kStale, 0, 0, 0, "@slow", CmdPubsubHelp));
}

}  // namespace basalt::commands
