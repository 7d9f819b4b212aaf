// CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO, and the command
// layer's side of client-side caching (see tracking.h).
#include "commands/tracking.h"

#include <algorithm>
#include <memory>

#include "commands/arg_parser.h"
#include "commands/command_context.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/numbers.h"

namespace basalt::commands {

namespace {
thread_local Session* t_caller = nullptr;
}  // namespace

Session* CurrentCaller() { return t_caller; }

CallerScope::CallerScope(Session* s) : prev_(t_caller) { t_caller = s; }
CallerScope::~CallerScope() { t_caller = prev_; }

bool ShouldRemember(const ClientTracking& t, const CommandSpec& spec) {
  // Read-only commands only; the scripts that are read-only commands
  // (EVAL_RO, FCALL_RO) are not, their redis.call()s are. Shard channels
  // are keys for routing only.
  if (!(spec.flags & kReadOnly) || (spec.flags & kPubSub) || spec.traits.runs_script) return false;
  if (!t.on.load(std::memory_order_relaxed) || t.bcast.load(std::memory_order_relaxed)) {
    return false;
  }
  if (t.optin.load(std::memory_order_relaxed) && !t.caching) return false;
  if (t.optout.load(std::memory_order_relaxed) && t.caching) return false;
  return true;
}

namespace {

TrackingHub* Hub(CommandContext& ctx) { return ctx.host.tracking(); }

bool SessionExists(CommandContext& ctx, uint64_t id) {
  bool found = false;
  ctx.admin().ForEachSession([&](Session& s) {
    if (s.id == id) found = true;
  });
  return found;
}

// CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]]
//     [BCAST] [OPTIN] [OPTOUT] [NOLOOP]
void CmdClientTracking(CommandContext& ctx) {
  TrackingHub* hub = Hub(ctx);
  if (hub == nullptr || !ctx.session.is_connection()) {
    return ctx.Error("ERR CLIENT TRACKING is only available to client connections");
  }
  TrackingOptions o;
  bool redirect_given = false;
  for (size_t j = 3; j < ctx.args.size(); j++) {
    std::string_view a = ctx.args[j];
    bool more = j + 1 < ctx.args.size();
    if (more && EqualsIgnoreCase(a, "REDIRECT")) {
      j++;
      if (redirect_given) return ctx.Error(errors::kTrackingOneRedirect);
      auto id = ParseInt64(ctx.args[j]);
      if (!id) return ctx.Error(errors::kNotInteger);
      // The client must exist now; it may still go away later (then the
      // tracking client hears tracking-redir-broken).
      if (!SessionExists(ctx, uint64_t(*id))) return ctx.Error(errors::kTrackingNoRedirectClient);
      redirect_given = true;
      o.redirect = uint64_t(*id);
    } else if (EqualsIgnoreCase(a, "BCAST")) {
      o.bcast = true;
    } else if (EqualsIgnoreCase(a, "OPTIN")) {
      o.optin = true;
    } else if (EqualsIgnoreCase(a, "OPTOUT")) {
      o.optout = true;
    } else if (EqualsIgnoreCase(a, "NOLOOP")) {
      o.noloop = true;
    } else if (more && EqualsIgnoreCase(a, "PREFIX")) {
      j++;
      o.prefixes.emplace_back(ctx.args[j]);
    } else {
      return ctx.Error(errors::kSyntax);
    }
  }
  if (EqualsIgnoreCase(ctx.args[2], "ON")) {
    std::string err = hub->Enable(ctx.session, o);
    if (!err.empty()) return ctx.Error(err);
  } else if (EqualsIgnoreCase(ctx.args[2], "OFF")) {
    hub->Disable(ctx.session);
  } else {
    return ctx.Error(errors::kSyntax);
  }
  ctx.reply.Ok();
}

// CLIENT CACHING <YES | NO>
void CmdClientCaching(CommandContext& ctx) {
  ClientTracking* t = ctx.session.tracking.get();
  if (t == nullptr || !t->on.load()) return ctx.Error(errors::kCachingNotTracking);
  if (EqualsIgnoreCase(ctx.args[2], "YES")) {
    if (!t->optin.load()) return ctx.Error(errors::kCachingYesNeedsOptin);
  } else if (EqualsIgnoreCase(ctx.args[2], "NO")) {
    if (!t->optout.load()) return ctx.Error(errors::kCachingNoNeedsOptout);
  } else {
    return ctx.Error(errors::kSyntax);
  }
  t->caching = true;
  ctx.reply.Ok();
}

// CLIENT GETREDIR
void CmdClientGetRedir(CommandContext& ctx) {
  ClientTracking* t = ctx.session.tracking.get();
  if (t == nullptr || !t->on.load()) return ctx.reply.Integer(-1);
  ctx.reply.Integer(int64_t(t->redirect.load()));
}

// CLIENT TRACKINGINFO
void CmdClientTrackingInfo(CommandContext& ctx) {
  ClientTracking* t = ctx.session.tracking.get();
  bool on = t != nullptr && t->on.load();
  std::vector<std::string_view> flags;
  if (!on) {
    flags.push_back("off");
  } else {
    flags.push_back("on");
    if (t->bcast.load()) flags.push_back("bcast");
    if (t->optin.load()) {
      flags.push_back("optin");
      if (t->caching) flags.push_back("caching-yes");
    }
    if (t->optout.load()) {
      flags.push_back("optout");
      if (t->caching) flags.push_back("caching-no");
    }
    if (t->noloop.load()) flags.push_back("noloop");
    if (t->broken_redirect.load()) flags.push_back("broken_redirect");
  }
  protocol::ReplyBuilder& rb = ctx.reply;
  rb.MapHeader(3);
  rb.Bulk("flags");
  rb.SetHeader(flags.size());
  for (std::string_view f : flags) rb.Bulk(f);
  rb.Bulk("redirect");
  rb.Integer(on ? int64_t(t->redirect.load()) : -1);
  rb.Bulk("prefixes");
  if (!on) {
    rb.ArrayHeader(0);
    return;
  }
  std::vector<std::string> sorted = t->prefixes;
  std::sort(sorted.begin(), sorted.end());
  rb.ArrayHeader(sorted.size());
  for (const std::string& p : sorted) rb.Bulk(p);
}

}  // namespace

void RegisterClientTracking(CommandTable& t) {
  const char* g = "connection";
  auto sub = [&](const char* name, int arity, Handler h) {
    t.AddSub("client", Spec(g, name, arity, kNoScript | kLoading | kStale, 0, 0, 0,
                            "@slow @connection", h));
  };
  sub("tracking", -3, CmdClientTracking);
  sub("caching", 3, CmdClientCaching);
  sub("getredir", 2, CmdClientGetRedir);
  sub("trackinginfo", 2, CmdClientTrackingInfo);
}

}  // namespace basalt::commands
