#include "commands/arg_parser.h"

#include "commands/command_context.h"

namespace basalt::commands {

bool ParseScanOptions(CommandContext& ctx, size_t pos, bool allow_type, ScanOptions* out) {
  ArgParser p(ctx.args, pos);
  while (p.HasNext()) {
    // Every option takes a value: a trailing keyword is a syntax error.
    if (p.remaining() >= 2 && p.Check("count")) {
      int64_t v = p.Next<int64_t>();
      if (p.ok() && v < 1) p.Fail(errors::kSyntax);
      out->count = v;
    } else if (p.remaining() >= 2 && p.Check("match")) {
      out->pattern = p.Next<std::string_view>();
    } else if (allow_type && p.remaining() >= 2 && p.Check("type")) {
      out->type = p.Next<std::string_view>();
    } else {
      p.Fail(errors::kSyntax);
    }
  }
  if (!p.ok()) {
    ctx.Error(p.error());
    return false;
  }
  return true;
}

}  // namespace basalt::commands
