// SIP trunks the fast path counts calls for, named as tg-controld names them.
// On the box tg-controld sends its [trunk.NAME] table over the command ring
// (dataplane/api/trunk_table.hpp) at attach, on every commit and reload.
// `--trunk NAME=ADDR[:PORT]` on the command line gives the fast path a table
// of its own until then (standalone lab tests, a box without the daemon).
#pragma once
#include <string>
#include <utility>

#include "common/net.hpp"

namespace tg::fastpath {

using TrunkSbc = std::pair<std::string, Endpoint>;

// "NAME=ADDR[:PORT]" / "NAME=[V6]:PORT" -> name and SBC endpoint (port 0: any).
bool parse_trunk_spec(const std::string& spec, std::string& name, Endpoint& sbc, std::string& error);

}  // namespace tg::fastpath
