#include "commands/helpers.h"

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "common/clock.h"

namespace basalt::commands {

std::optional<int> DbIndexArg(CommandContext& ctx, std::string_view s) {
  auto v = ParseInt64(s);
  if (!v) {
    ctx.Error(errors::kNotInteger);
    return std::nullopt;
  }
  // Redis reads a DB index as a C int first: a value outside int's range has its own error.
  if (*v < INT32_MIN || *v > INT32_MAX) {
    ctx.Error(errors::kIntOutOfRange);
    return std::nullopt;
  }
  if (*v < 0 || *v >= ctx.host.keyspace().db_count()) {
    ctx.Error(errors::kDbIndexOutOfRange);
    return std::nullopt;
  }
  return int(*v);
}

std::string InvalidExpireError(const CommandContext& ctx) {
  std::string name = ctx.spec.name;
  return "ERR invalid expire time in '" + name + "' command";
}

std::optional<int64_t> ExpireArgToAbsMs(CommandContext& ctx, std::string_view arg,
                                        int64_t unit_ms, bool relative, bool positive) {
  auto v = ParseInt64(arg);
  if (!v) {
    ctx.Error(errors::kNotInteger);
    return std::nullopt;
  }
  int64_t t = *v;
  if (positive && t <= 0) {
    ctx.Error(InvalidExpireError(ctx));
    return std::nullopt;
  }
  if (unit_ms != 1) {
    if (t > INT64_MAX / unit_ms || t < INT64_MIN / unit_ms) {
      ctx.Error(InvalidExpireError(ctx));
      return std::nullopt;
    }
    t *= unit_ms;
  }
  if (relative) {
    int64_t now = NowMs();
    if ((t > 0 && now > INT64_MAX - t) || (t < 0 && now < INT64_MIN - t)) {
      ctx.Error(InvalidExpireError(ctx));
      return std::nullopt;
    }
    t += now;
  }
  return t;
}

std::optional<uint64_t> CursorArg(CommandContext& ctx, std::string_view s) {
  std::string tmp(s);
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(tmp.c_str(), &end, 10);
  if ((!tmp.empty() && std::isspace(static_cast<unsigned char>(tmp[0]))) || *end != '\0' ||
      errno == ERANGE) {
    ctx.Error(errors::kInvalidCursor);
    return std::nullopt;
  }
  return uint64_t(v);
}

void CountHit(CommandContext& ctx, std::string_view key, bool hit) {
  ThreadStats& st = CurrentStats();
  Bump(hit ? st.hits : st.misses);
  if (!hit) ctx.host.Notify(ctx.session.db(), key, "keymiss", kNotifyKeyMiss);
}

bool LookupTyped(CommandContext& ctx, KeyGuard& g, storage::ValueType type,
                 storage::Entry** out) {
  storage::Entry* e = g.Find();
  CountHit(ctx, g.key(), e != nullptr);
  if (e != nullptr && e->type() != type) {
    ctx.Error(errors::kWrongType);
    return false;
  }
  *out = e;
  return true;
}

void ReplyStringValue(CommandContext& ctx, const storage::Entry* e) {
  char buf[32];
  ctx.reply.Bulk(e->StringValue(buf));
}

std::string_view TypeName(storage::ValueType t) {
  switch (t) {
    case storage::ValueType::kString:
      return "string";
    case storage::ValueType::kList:
      return "list";
    case storage::ValueType::kSet:
      return "set";
    case storage::ValueType::kZSet:
      return "zset";
    case storage::ValueType::kHash:
      return "hash";
    case storage::ValueType::kStream:
      return "stream";
  }
  return "none";
}

std::string_view EncodingName(const storage::Entry* e) {
  switch (e->encoding()) {
    case storage::Encoding::kInt:
      return "int";
    case storage::Encoding::kEmbStr:
      return "embstr";
    case storage::Encoding::kRawInline:
    case storage::Encoding::kRawHeap:
      return "raw";
    case storage::Encoding::kObject:
      return e->obj()->EncodingName();
  }
  return "unknown";
}

CommandSpec Spec(const char* group, const char* name, int arity, CommandFlag flags, int first,
                 int last, int step, const char* acl, Handler h) {
  CommandSpec s;
  s.group = group;
  s.name = name;
  s.arity = arity;
  s.flags = flags;
  s.first_key = first;
  s.last_key = last;
  s.step = step;
  s.acl = acl;
  s.handler = h;
  return s;
}

}  // namespace basalt::commands
