// A POSIX shared-memory object mapped read-write (shm_open + mmap). Setup
// path only: opening allocates and makes syscalls; the mapped memory itself
// is then used lock-free by the rings and the stats region.
#pragma once
#include <cstddef>
#include <string>

namespace tg::api {

class ShmRegion {
 public:
  ShmRegion() = default;
  ~ShmRegion();
  ShmRegion(ShmRegion&&) noexcept;
  ShmRegion& operator=(ShmRegion&&) noexcept;
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;

  // Creates (replacing any stale object of that name: the creator owns the
  // layout) and zero-fills `size` bytes. name: "/trunkguard-events" style.
  bool create(const std::string& name, size_t size, std::string& error);
  // Maps an existing object at its current size. Fails if absent or empty.
  bool open(const std::string& name, std::string& error);
  // Removes the name (the mapping stays valid until unmapped).
  static bool unlink(const std::string& name);

  void* data() const { return data_; }
  size_t size() const { return size_; }
  bool mapped() const { return data_ != nullptr; }
  const std::string& name() const { return name_; }
  void close();

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
  std::string name_;
};

}  // namespace tg::api
