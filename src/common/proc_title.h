// The process title (what ps and /proc/<pid>/cmdline show) and Redis's
// proc-title-template syntax.
//
// A template is text with {variable} substitutions; "{{" stands for a literal
// '{'. The result is trimmed of spaces at both ends. Variables (as Redis 7.0):
// {title} {listen-addr} {server-mode} {port} {tls-port} {unixsocket}
// {config-file}.
//
// Thread-safety: InitProcTitle runs once in main() before any other thread
// exists; SetProcTitle may be called from any thread (internally serialized).
// ExpandProcTitleTemplate / IsKnownProcTitleTemplate are pure.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace basalt {

// The text for each variable name; nullopt for an unknown name.
using ProcTitleVars = std::function<std::optional<std::string>(std::string_view name)>;

// The expanded, trimmed title, or nullopt when the template is malformed (an
// unclosed '{') or names an unknown variable.
std::optional<std::string> ExpandProcTitleTemplate(std::string_view tmpl,
                                                   const ProcTitleVars& vars);

// True when the template is well formed and names only Redis's variables.
bool IsKnownProcTitleTemplate(std::string_view tmpl);

// Takes over the memory of argv (and of the environment strings that follow
// it, which are copied elsewhere first) so the title can be longer than the
// original command line. Call once, early in main().
void InitProcTitle(int argc, char** argv);

// Rewrites the title. Truncated to the space InitProcTitle found. Returns
// false when InitProcTitle was not called.
bool SetProcTitle(const std::string& title);

}  // namespace basalt
