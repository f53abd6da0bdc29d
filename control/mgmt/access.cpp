#include "control/mgmt/access.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tg::mgmt {

const char* role_name(Role r) {
  switch (r) {
    case Role::admin: return "admin";
    case Role::operator_: return "operator";
    case Role::none: break;
  }
  return "none";
}

bool peer_of(int fd, Peer& out, std::string& why) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    why = std::string("SO_PEERCRED: ") + std::strerror(errno);
    return false;
  }
  out.pid = cred.pid;
  out.uid = cred.uid;
  out.gid = cred.gid;
  out.groups.clear();
  // SO_PEERGROUPS: the groups the peer had when it connected.
  std::vector<gid_t> groups(64);
  len = socklen_t(groups.size() * sizeof(gid_t));
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0 && errno == ERANGE) {
    groups.resize(len / sizeof(gid_t) + 1);
    len = socklen_t(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) != 0) len = 0;
  }
  groups.resize(len / sizeof(gid_t));
  out.groups = std::move(groups);
  passwd pw{}, *res = nullptr;
  char buf[4096];
  if (::getpwuid_r(cred.uid, &pw, buf, sizeof buf, &res) == 0 && res)
    out.user = pw.pw_name;
  else
    out.user = std::to_string(cred.uid);
  return true;
}

AccessPolicy AccessPolicy::resolve(const std::string& admin_group, const std::string& operator_group) {
  AccessPolicy p;
  p.admin_group = admin_group;
  p.operator_group = operator_group;
  auto lookup = [](const std::string& name, gid_t& gid) {
    if (name.empty()) return false;
    group g{}, *res = nullptr;
    char buf[8192];
    if (::getgrnam_r(name.c_str(), &g, buf, sizeof buf, &res) != 0 || !res) return false;
    gid = g.gr_gid;
    return true;
  };
  p.admin_gid_known = lookup(admin_group, p.admin_gid);
  p.operator_gid_known = lookup(operator_group, p.operator_gid);
  return p;
}

Role AccessPolicy::role_of(const Peer& p) const {
  auto member = [&](gid_t g) {
    return p.gid == g || std::find(p.groups.begin(), p.groups.end(), g) != p.groups.end();
  };
  if (p.uid == 0) return Role::admin;
  if (admin_gid_known && member(admin_gid)) return Role::admin;
  if (operator_gid_known && member(operator_gid)) return Role::operator_;
  return Role::none;
}

std::string AccessPolicy::refusal(const Peer& p) const {
  std::string s = "user " + p.user + " (uid " + std::to_string(p.uid) + ") is not root and not in group " +
                  (admin_group.empty() ? std::string("<none>") : admin_group);
  if (!operator_group.empty()) s += " or " + operator_group;
  if (!admin_group.empty() && !admin_gid_known) s += " (group " + admin_group + " does not exist on this system)";
  return s;
}

}  // namespace tg::mgmt
