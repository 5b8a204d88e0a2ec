#pragma once
// Logging goes to stderr through spdlog; stdout is kept for output that scripts read
// (`listening <name> <host>:<port>`, exports).

#include <spdlog/spdlog.h>

#include <string_view>

namespace pushmail {

// Sets up the default logger on stderr at `level` ("trace" ... "off"). Call once from main.
void InitLogging(std::string_view level);

}  // namespace pushmail
