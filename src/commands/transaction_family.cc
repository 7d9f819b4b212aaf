// Transactions: MULTI EXEC DISCARD WATCH UNWATCH.
//
// Queueing happens in the executor (everything but these commands,
// QUIT and RESET is queued after MULTI); EXEC locks every shard the queued
// commands touch, runs them back to back, and appends their writes to the
// write log as one MULTI ... EXEC unit (commands/executor.cc, Executor::Exec).
#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/executor.h"
#include "commands/helpers.h"

namespace basalt::commands {
namespace {

// MULTI
void CmdMulti(CommandContext& ctx) {
  if (ctx.session.in_multi()) {
    ctx.Error(errors::kNestedMulti);
    return;
  }
  ctx.host.executor().BeginMulti(ctx.session);
  ctx.reply.Ok();
}

// EXEC
void CmdExec(CommandContext& ctx) {
  if (!ctx.session.in_multi()) {
    ctx.Error(errors::kExecWithoutMulti);
    return;
  }
  ctx.host.executor().Exec(ctx.session, ctx.reply);
}

// DISCARD
void CmdDiscard(CommandContext& ctx) {
  if (!ctx.session.in_multi()) {
    ctx.Error(errors::kDiscardWithoutMulti);
    return;
  }
  ctx.host.executor().DiscardMulti(ctx.session);
  ctx.reply.Ok();
}

// WATCH key [key ...]
void CmdWatch(CommandContext& ctx) {
  if (ctx.session.in_multi()) {
    ctx.Error(errors::kWatchInMulti);
    return;
  }
  for (size_t i = 1; i < ctx.args.size(); i++) ctx.host.executor().Watch(ctx.session, ctx.args[i]);
  ctx.reply.Ok();
}

// UNWATCH
void CmdUnwatch(CommandContext& ctx) {
  ctx.host.executor().Unwatch(ctx.session);
  ctx.reply.Ok();
}

}  // namespace

void RegisterTransactionFamily(CommandTable& t) {
  const char* g = "transactions";
  t.Add(Spec(g, "multi", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, 0, 0, 0,
             "@fast @transaction", CmdMulti));
  t.Add(Spec(g, "exec", 1, kNoScript | kLoading | kStale | kSkipSlowlog, 0, 0, 0,
             "@slow @transaction", CmdExec));
  t.Add(Spec(g, "discard", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, 0, 0, 0,
             "@fast @transaction", CmdDiscard));
  t.Add(Spec(g, "watch", -2, kNoScript | kLoading | kStale | kFast | kAllowBusy, 1, -1, 1,
             "@fast @transaction", CmdWatch));
  t.Add(Spec(g, "unwatch", 1, kNoScript | kLoading | kStale | kFast | kAllowBusy, 0, 0, 0,
             "@fast @transaction", CmdUnwatch));
}

}  // namespace basalt::commands
