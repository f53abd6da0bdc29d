#include "control/config/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tg::config {

namespace {

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool fail(std::string& why, const std::string& step, const std::string& what) {
  why = step + " " + what + ": " + std::strerror(errno);
  return false;
}

}  // namespace

bool write_file_atomically(const std::string& path, std::string_view content, std::string& why, int mode) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(why, "create", tmp);
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fail(why, "write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += size_t(n);
  }
  if (::fsync(fd) != 0) {
    fail(why, "fsync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return false;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    fail(why, "rename to", path);
    ::unlink(tmp.c_str());
    return false;
  }
  // The rename is durable only once the directory entry is on disk.
  std::string dir = dir_of(path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail(why, "open directory", dir);
  bool ok = ::fsync(dfd) == 0;
  if (!ok) fail(why, "fsync directory", dir);
  ::close(dfd);
  return ok;
}

bool make_dirs(const std::string& path, std::string& why, int mode) {
  if (path.empty()) return true;
  size_t pos = 1;
  while (true) {
    size_t slash = path.find('/', pos);
    std::string part = path.substr(0, slash);
    if (::mkdir(part.c_str(), mode_t(mode)) != 0 && errno != EEXIST) return fail(why, "mkdir", part);
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return fail(why, "mkdir", path);
  }
  return true;
}

}  // namespace tg::config
