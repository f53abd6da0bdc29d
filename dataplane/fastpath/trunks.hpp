// SIP trunks the fast path counts calls for, named as tg-controld names them.
// Two sources: `--trunk NAME=ADDR[:PORT]` on the command line, and
// `--trunks-from FILE`, tg-controld's own INI config, of which only the
// [trunk.NAME] sections' sbc_address / sbc_port are read, with tg-controld's
// own INI reader (control/config/ini.hpp) so both accept the same file (one
// source of truth on the box: the service passes /etc/trunkguard/trunkguard.conf).
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataplane/core/net.hpp"

namespace tg::fastpath {

using TrunkSbc = std::pair<std::string, Endpoint>;

// "NAME=ADDR[:PORT]" / "NAME=[V6]:PORT" -> name and SBC endpoint (port 0: any).
bool parse_trunk_spec(const std::string& spec, std::string& name, Endpoint& sbc, std::string& error);

// The [trunk.NAME] sections of an INI text. Errors name FILE:LINE.
bool parse_trunks_ini(std::string_view text, const std::string& file, std::vector<TrunkSbc>& out, std::string& error);
bool load_trunks_ini(const std::string& path, std::vector<TrunkSbc>& out, std::string& error);

}  // namespace tg::fastpath
