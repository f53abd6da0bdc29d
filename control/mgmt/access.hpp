// Who may use the management socket. The kernel tells us who is on the other
// end (SO_PEERCRED, SO_PEERGROUPS); root and members of the admin group get
// full access, members of the operator group read-only access, everyone
// else is refused with a message that says why.
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace tg::mgmt {

enum class Role { none, operator_, admin };
const char* role_name(Role);

struct Peer {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
  std::string user;           // name of uid, or the number
};

// Reads the credentials of a connected unix socket; false with why on error.
bool peer_of(int fd, Peer& out, std::string& why);

struct AccessPolicy {
  std::string admin_group, operator_group;  // names from the config
  // Resolved gids; a group that does not exist on the system grants nothing.
  bool admin_gid_known = false, operator_gid_known = false;
  gid_t admin_gid = 0, operator_gid = 0;

  static AccessPolicy resolve(const std::string& admin_group, const std::string& operator_group);
  Role role_of(const Peer& p) const;
  // Why a peer with Role::none was refused, for the error message.
  std::string refusal(const Peer& p) const;
};

}  // namespace tg::mgmt
