#include "dataplane/api/shm.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tg::api {
namespace {
std::string sys_error(const char* what, const std::string& name) {
  return std::string(what) + " " + name + ": " + std::strerror(errno);
}
}  // namespace

ShmRegion::~ShmRegion() { close(); }

ShmRegion::ShmRegion(ShmRegion&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), name_(std::move(o.name_)) {}

ShmRegion& ShmRegion::operator=(ShmRegion&& o) noexcept {
  if (this != &o) {
    close();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    name_ = std::move(o.name_);
  }
  return *this;
}

void ShmRegion::close() {
  if (data_) munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

bool ShmRegion::create(const std::string& name, size_t size, std::string& error) {
  close();
  if (name.size() < 2 || name[0] != '/' || name.find('/', 1) != std::string::npos)
    return error = "shm name must be \"/name\" without further slashes: " + name, false;
  if (size == 0) return error = "shm size 0 for " + name, false;
  // A stale object may have another layout: the creator replaces it, and
  // peers still mapping the old one notice the new creator pid.
  shm_unlink(name.c_str());
  int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return error = sys_error("shm_open(create)", name), false;
  if (ftruncate(fd, off_t(size)) != 0) {  // new pages read as zero
    error = sys_error("ftruncate", name);
    ::close(fd);
    shm_unlink(name.c_str());
    return false;
  }
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) {
    error = sys_error("mmap", name);
    shm_unlink(name.c_str());
    return false;
  }
  data_ = p;
  size_ = size;
  name_ = name;
  return true;
}

bool ShmRegion::open(const std::string& name, std::string& error) {
  close();
  int fd = shm_open(name.c_str(), O_RDWR, 0);
  if (fd < 0) return error = sys_error("shm_open", name), false;
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    error = sys_error("fstat", name);
    ::close(fd);
    return false;
  }
  if (st.st_size <= 0) {
    ::close(fd);
    return error = "shm " + name + " is empty (creator not finished?)", false;
  }
  void* p = mmap(nullptr, size_t(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return error = sys_error("mmap", name), false;
  data_ = p;
  size_ = size_t(st.st_size);
  name_ = name;
  return true;
}

bool ShmRegion::unlink(const std::string& name) { return shm_unlink(name.c_str()) == 0; }

}  // namespace tg::api
