// What the two stream families (stream_family.cc: entries; stream_group_family.cc:
// consumer groups) share: stream ID arguments with Redis's error texts,
// entry replies, XCLAIM propagation, and the stream lookup.
// Thread-safety: call on the client's worker with the key's shard lock held.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "commands/command_context.h"
#include "commands/helpers.h"
#include "storage/stream_type.h"

namespace basalt::commands {

inline constexpr char kStreamInvalidId[] =
    "ERR Invalid stream ID specified as stream command argument";

// Parses a stream ID argument. `strict` refuses "-" and "+"; with `exclusive`
// non-null a leading "(" is accepted and reported. Replies the error and
// returns false on failure.
bool StreamIdArg(CommandContext& ctx, std::string_view arg, uint64_t missing_seq, bool strict,
                 storage::StreamID* out, bool* exclusive = nullptr);
// The same without a reply (XCLAIM's ID list stops at the first non-ID).
bool StreamIdStrict(std::string_view arg, storage::StreamID* out);

// Node limits from the configuration.
storage::StreamLimits StreamLimitsFrom(CommandContext& ctx);

// [id, [field, value, ...]]
void ReplyStreamEntry(CommandContext& ctx, const storage::StreamID& id,
                      const storage::StreamObject::Fields& fields);
// Replies up to `count` (0: all) entries of [start, end] as an array;
// returns how many.
size_t ReplyStreamRange(CommandContext& ctx, const storage::StreamObject& s,
                        storage::StreamID start, storage::StreamID end, size_t count, bool rev);

// XCLAIM <key> <group> <consumer> 0 <id> TIME <ms> RETRYCOUNT <n> FORCE JUSTID
// LASTID <group last id>: how Redis propagates a PEL change.
std::vector<std::string> XClaimForm(std::string_view key, std::string_view group,
                                    const storage::StreamGroup& g, std::string_view id,
                                    const storage::StreamPending& p);
// Appends the commands: one as itself, several as MULTI ... EXEC.
void PropagateAll(CommandContext& ctx, const std::vector<std::vector<std::string>>& cmds);

// "NOGROUP No such key '<key>' or consumer group '<group>'"
std::string NoGroupError(std::string_view key, std::string_view group,
                         std::string_view suffix = "");

// The stream at a guarded key for a write (no hit counting): null when
// missing; replies WRONGTYPE and returns false for another type.
bool StreamForWrite(CommandContext& ctx, KeyGuard& g, storage::StreamObject** out);

// Blocking helpers shared with XREADGROUP.
bool StreamMustNotBlock(CommandContext& ctx);

// XREAD / XREADGROUP (stream_family.cc).
void CmdXReadGeneric(CommandContext& ctx, bool group);

}  // namespace basalt::commands
