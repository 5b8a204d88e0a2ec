#include "store/blob_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/log.h"

namespace pushmail::store {
namespace {

ErrorCode Errno() { return {errno, boost::system::system_category()}; }

std::string SegmentName(uint32_t number) {
  char name[32];
  std::snprintf(name, sizeof name, "%08u.seg", number);
  return name;
}

ErrorCode SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno();
  ErrorCode ec = ::fsync(fd) == 0 ? ErrorCode() : Errno();
  ::close(fd);
  return ec;
}

}  // namespace

Result<std::unique_ptr<BlobFile>> BlobFile::Open(const std::string& dir,
                                                 std::shared_ptr<Health> health,
                                                 DiskFaults* faults) {
  std::error_code fs_error;
  std::filesystem::create_directories(dir, fs_error);
  if (fs_error) return ErrorCode(fs_error.value(), boost::system::system_category());
  std::unique_ptr<BlobFile> file(new BlobFile(dir, std::move(health), faults));
  uint32_t newest = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, fs_error)) {
    std::string name = entry.path().filename().string();
    if (name.size() == 12 && name.ends_with(".seg")) {
      newest = std::max<uint32_t>(newest, static_cast<uint32_t>(std::stoul(name.substr(0, 8))));
    }
  }
  auto segment = file->OpenSegment(std::max<uint32_t>(newest, 1), true);
  if (!segment) return segment.error();
  file->current_ = *segment;
  file->current_number_ = (*segment)->number;
  if (auto ec = SyncDirectory(dir)) return ec;
  return file;
}

BlobFile::~BlobFile() {
  for (auto& s : open_) ::close(s->fd);
}

Result<std::shared_ptr<BlobFile::Segment>> BlobFile::OpenSegment(uint32_t number, bool create) {
  std::string path = dir_ + "/" + SegmentName(number);
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    spdlog::error("blobs: cannot open {}: {}", path, std::strerror(errno));
    return Errno();
  }
  auto segment = std::make_shared<Segment>();
  segment->number = number;
  segment->fd = fd;
  struct stat st {};
  ::fstat(fd, &st);
  segment->end = static_cast<uint64_t>(st.st_size);
  open_.push_back(segment);
  return segment;
}

Result<std::shared_ptr<BlobFile::Segment>> BlobFile::Roll(const std::shared_ptr<Segment>& full) {
  std::lock_guard lock(mu_);
  if (current_ != full) return current_;  // another thread rolled already
  auto next = OpenSegment(full->number + 1, true);
  if (!next) return next.error();
  // The new file's name must be durable before anything in it is.
  if (auto ec = SyncDirectory(dir_)) return ec;
  unsynced_.push_back(full);
  current_ = *next;
  current_number_.store(current_->number, std::memory_order_release);
  return current_;
}

int BlobFile::DataSync(int fd) {
  if (faults_ != nullptr) {
    if (int e = faults_->blob_sync_errno.load()) {
      errno = e;
      return -1;
    }
  }
  return ::fdatasync(fd);
}

Result<BlobLocation> BlobFile::Append(std::string_view bytes) {
  if (auto ec = health_->CheckWritable()) return ec;
  std::shared_ptr<Segment> segment;
  {
    std::lock_guard lock(mu_);
    segment = current_;
  }
  uint64_t offset = segment->end.fetch_add(bytes.size());
  if (offset > kSegmentSize) {
    auto next = Roll(segment);
    if (!next) return health_->Judge("a new blob segment", next.error());
    segment = *next;
    offset = segment->end.fetch_add(bytes.size());
  }
  int fault = faults_ != nullptr ? faults_->blob_write_errno.load() : 0;
  if (fault != 0) return health_->Judge("a blob write", {fault, boost::system::system_category()});
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(segment->fd, bytes.data() + done, bytes.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    // The range stays reserved and unreferenced: a retry writes elsewhere.
    if (n < 0) return health_->Judge("a blob write", Errno());
    if (n == 0) return health_->Judge("a blob write", MakeError(Errc::kIo));
    done += static_cast<size_t>(n);
  }
  if (segment->number != current_number_.load(std::memory_order_acquire)) {
    // The segment rolled while this write ran: a Sync may have taken it off unsynced_ before
    // these bytes were counted, and would never sync it again. Put it back first, so that the
    // Sync that covers this Append (it reads appended_ after the add below) syncs it.
    std::lock_guard lock(mu_);
    if (std::find(unsynced_.begin(), unsynced_.end(), segment) == unsynced_.end()) {
      unsynced_.push_back(segment);
    }
  }
  appended_.fetch_add(1);
  return BlobLocation{segment->number, offset, bytes.size()};
}

ErrorCode BlobFile::Sync() {
  if (sync_failed_.load()) return StoreErrc::kReadOnly;
  std::vector<std::shared_ptr<Segment>> segments;
  {
    std::lock_guard lock(mu_);
    segments = std::move(unsynced_);
    unsynced_.clear();
    segments.push_back(current_);
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    if (DataSync(segments[i]->fd) != 0) {
      ErrorCode cause = Errno();
      sync_failed_.store(true);
      {
        // Kept for the record: no sync is tried again in this process, but nothing is forgotten.
        std::lock_guard lock(mu_);
        unsynced_.insert(unsynced_.begin(), segments.begin() + static_cast<ptrdiff_t>(i),
                         segments.end() - 1);
      }
      return health_->Latch("a blob sync (fdatasync)", cause);
    }
  }
  return {};
}

ErrorCode BlobFile::SyncThrough(uint64_t appended) {
  std::unique_lock lock(sync_mu_);
  while (synced_ < appended && syncing_) sync_cv_.wait(lock);
  if (synced_ >= appended) return {};
  syncing_ = true;
  uint64_t covers = appended_.load();  // read before the sync starts: all of it is covered
  lock.unlock();
  ErrorCode ec = Sync();
  lock.lock();
  syncing_ = false;
  ++syncs_run_;
  if (!ec) synced_ = std::max(synced_, covers);
  sync_cv_.notify_all();
  return ec;
}

Result<std::shared_ptr<BlobFile::Segment>> BlobFile::SegmentFor(uint32_t number) {
  std::lock_guard lock(mu_);
  for (const auto& s : open_) {
    if (s->number == number) return s;
  }
  return OpenSegment(number, false);
}

Result<std::string> BlobFile::Read(const BlobLocation& location) {
  auto segment = SegmentFor(location.segment);
  if (!segment) return segment.error();
  std::string out(location.length, '\0');
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread((*segment)->fd, out.data() + done, out.size() - done,
                        static_cast<off_t>(location.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno();
    if (n == 0) return MakeError(Errc::kIo);  // truncated: the location is not in the file
    done += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace pushmail::store
