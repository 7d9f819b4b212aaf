// The AOF base without an RDB preamble (aof-use-rdb-preamble no): each key as
// the commands that rebuild it, in RESP, the way Redis's rewrite writes them —
// SET / RPUSH / SADD / ZADD / HSET with at most 64 items per command, then
// PEXPIREAT for a key with an expire time.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "storage/entry.h"

namespace basalt::persistence {

// Appends the commands that recreate e (key, value and expire) to out.
void AppendEntryCommands(const storage::Entry& e, std::string* out);
// Appends SELECT db.
void AppendSelectCommand(int db, std::string* out);

}  // namespace basalt::persistence
