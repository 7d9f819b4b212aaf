// LOLWUT [VERSION version [arg ...]]: a small piece of generative art and the
// server's version, as Redis answers it (a verbatim string in RESP3).
//
// Redis 7.0 draws art for versions 5 and 6 and prints only its version line
// otherwise; Basalt does the same with its own drawing: a cross-section of
// basalt columns, hexagons laid out in a honeycomb whose column heights come
// from a seeded sequence, so the same arguments draw the same picture.
#include <cstdint>
#include <string>
#include <vector>

#include "commands/command_context.h"
#include "commands/command_table.h"
#include "commands/errors.h"
#include "commands/helpers.h"
#include "common/numbers.h"
#include "common/strings.h"
#include "common/version.h"

namespace basalt::commands {
namespace {

// A honeycomb of `cols` x `rows` hexagonal column tops, each shaded by a
// pseudo-random weathering level.
std::string DrawColumns(int64_t cols, int64_t rows, uint64_t seed) {
  static const char kShade[] = " .:-=+*#";
  std::string out;
  uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  for (int64_t r = 0; r < rows; r++) {
    std::string top, mid, bottom;
    if (r % 2 == 1) {
      top += "   ";
      mid += "   ";
      bottom += "   ";
    }
    for (int64_t c = 0; c < cols; c++) {
      char s = kShade[next() % 8];
      top += " ___  ";
      mid += "/";
      mid += std::string(3, s);
      mid += "\\ ";
      bottom += "\\___/ ";
    }
    out += top + "\n" + mid + "\n" + bottom + "\n";
  }
  return out;
}

// LOLWUT [VERSION version [arg ...]]
void CmdLolwut(CommandContext& ctx) {
  int64_t version = 7;
  size_t argc = ctx.args.size();
  std::vector<int64_t> params;
  for (size_t j = 1; j < argc; j++) {
    if (EqualsIgnoreCase(ctx.args[j], "version") && j + 1 < argc) {
      auto v = ParseInt64(ctx.args[j + 1]);
      if (!v) {
        ctx.Error(errors::kNotInteger);
        return;
      }
      version = *v;
      // What follows are the drawing's parameters (integers).
      for (size_t k = j + 2; k < argc; k++) {
        auto p = ParseInt64(ctx.args[k]);
        if (!p) {
          ctx.Error(errors::kNotInteger);
          return;
        }
        params.push_back(*p);
      }
      break;
    }
  }
  std::string text;
  if (version == 5 || version == 6) {
    int64_t cols = params.size() > 0 ? params[0] : 12;
    int64_t rows = params.size() > 1 ? params[1] : 4;
    if (cols < 1) cols = 1;
    if (cols > 60) cols = 60;
    if (rows < 1) rows = 1;
    if (rows > 40) rows = 40;
    text = DrawColumns(cols, rows, uint64_t(version * 1000 + cols * 31 + rows)) +
           "\nColumnar jointing, after the Giant's Causeway. ";
  }
  text += "Basalt ver. ";
  text += kBasaltVersion;
  text += "\n";
  ctx.reply.Verbatim(text);
}

}  // namespace

void RegisterLolwutFamily(CommandTable& t) {
  t.Add(Spec("server", "lolwut", -1, kReadOnly | kFast, 0, 0, 0, "@read @fast", CmdLolwut));
}

}  // namespace basalt::commands
