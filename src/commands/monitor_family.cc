// MONITOR, and the formatting of the lines monitors receive.
#include <cctype>
#include <cstdio>
#include <vector>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/executor.h"
#include "commands/helpers.h"
#include "commands/monitor.h"
#include "commands/session.h"

namespace basalt::commands {

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
      case '"':
        out->push_back('\\');
        out->push_back(ch);
        break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\a': out->append("\\a"); break;
      case '\b': out->append("\\b"); break;
      default:
        if (std::isprint(c)) {
          out->push_back(ch);
        } else {
          char hex[8];
          snprintf(hex, sizeof(hex), "\\x%02x", c);
          out->append(hex);
        }
    }
  }
  out->push_back('"');
}

namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Whether args[i] is a credential MONITOR must not show.
std::vector<bool> Redacted(const CommandSpec& spec, std::span<const std::string_view> args) {
  std::vector<bool> hide(args.size(), false);
  const std::string& name = spec.parent ? spec.parent->name : spec.name;
  if (name == "auth") {
    for (size_t i = 1; i < args.size(); i++) hide[i] = true;
  } else if (name == "hello") {
    // HELLO [protover [AUTH username password] [SETNAME name]]
    for (size_t i = 2; i < args.size(); i++) {
      size_t more = args.size() - 1 - i;
      if (EqualsNoCase(args[i], "auth") && more >= 2) {
        hide[i + 1] = hide[i + 2] = true;
        i += 2;
      } else if (EqualsNoCase(args[i], "setname") && more >= 1) {
        i++;
      } else {
        break;
      }
    }
  }
  return hide;
}

}  // namespace

std::string MonitorLine(int64_t unix_us, int db, std::string_view source, const CommandSpec& spec,
                        std::span<const std::string_view> args) {
  char head[96];
  int n = snprintf(head, sizeof(head), "+%lld.%06lld [%d ", (long long)(unix_us / 1000000),
                   (long long)(unix_us % 1000000), db);
  std::string line(head, size_t(n));
  line.append(source);
  line.push_back(']');
  std::vector<bool> hide = Redacted(spec, args);
  for (size_t i = 0; i < args.size(); i++) {
    line.push_back(' ');
    if (hide[i]) {
      line.append("\"(redacted)\"");
    } else {
      AppendQuoted(&line, args[i]);
    }
  }
  line.append("\r\n");
  return line;
}

std::string MonitorSource(const Session& s) {
  if (s.is_script()) return "lua";
  std::string_view addr = s.address();
  if (s.unix_socket()) {
    // A unix client's address is "<path>:0"; Redis shows "unix:<path>".
    if (addr.ends_with(":0")) addr.remove_suffix(2);
    return "unix:" + std::string(addr);
  }
  return std::string(addr);
}

namespace {

// MONITOR
void CmdMonitor(CommandContext& ctx) {
  // Inside EXEC (or from anything that expects one reply per command) a
  // client cannot turn into a stream.
  if (ctx.session.exec_log() != nullptr || !ctx.session.is_connection()) {
    ctx.Error(errors::kMonitorDenyBlocking);
    return;
  }
  MonitorFeed* feed = ctx.host.executor().monitors();
  if (ctx.session.monitor.load(std::memory_order_relaxed)) return;  // already: no reply
  if (feed == nullptr || !feed->Add(ctx.session)) {
    ctx.Error(errors::kMonitorDenyBlocking);
    return;
  }
  ctx.reply.SimpleString("OK");
}

}  // namespace

void RegisterMonitorFamily(CommandTable& t) {
  t.Add(Spec("server", "monitor", 1, kAdmin | kNoScript | kLoading | kStale, 0, 0, 0,
             "@admin @slow @dangerous", CmdMonitor));
}

}  // namespace basalt::commands
