// WAIT: block until replicas acknowledged this client's writes.
#include <cstdint>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/clock.h"
#include "common/numbers.h"

namespace basalt::commands {
namespace {

// WAIT numreplicas timeout
//
// Replies how many replicas acknowledged the offset of the client's last
// write (Session::woff), at once if enough already have, else when
// enough have or after `timeout` milliseconds (0: no limit).
void CmdWait(CommandContext& ctx) {
  if (ctx.host.is_replica()) {
    ctx.Error(errors::kWaitOnReplica);
    return;
  }
  auto numreplicas = ParseInt64(ctx.args[1]);
  if (!numreplicas) {
    ctx.Error(errors::kNotInteger);
    return;
  }
  auto timeout = ParseInt64(ctx.args[2]);
  if (!timeout) {
    ctx.Error(errors::kTimeoutNotInteger);
    return;
  }
  if (*timeout < 0) {
    ctx.Error(errors::kTimeoutNegative);
    return;
  }
  Session& client = ctx.session;
  bool in_exec = client.exec_log() != nullptr;
  // Inside EXEC the transaction's own writes reach the log only when it ends:
  // no replica can have them yet.
  int64_t acked =
      in_exec && !client.exec_log()->empty() ? 0 : ctx.admin().CountAcked(client.woff());
  // Inside a transaction nothing may block: the count is the answer.
  if (acked >= *numreplicas || in_exec) {
    ctx.reply.Integer(acked);
    return;
  }
  int64_t now = NowMs();
  // A timeout too large for the clock never ends, as in Redis.
  int64_t deadline = *timeout == 0 || *timeout > INT64_MAX - now ? 0 : now + *timeout;
  if (!ctx.admin().WaitForReplicas(client, *numreplicas, deadline)) ctx.reply.Integer(acked);
}

}  // namespace

void RegisterWaitFamily(CommandTable& t) {
  t.Add(Spec("generic", "wait", 3, kNoScript, 0, 0, 0, "@slow @connection", CmdWait));
}

}  // namespace basalt::commands
