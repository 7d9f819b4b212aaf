// INFO: builds the text of Redis's INFO sections from the server's state.
// Runs on the calling client's worker thread; reads shared counters only.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace basalt::server {

class Server;

// `sections` as given to INFO (empty = "default"). Unknown names add nothing.
std::string BuildInfo(Server& server, std::span<const std::string_view> sections);

}  // namespace basalt::server
