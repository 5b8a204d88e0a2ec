#include "store/sqlite/fault_vfs.h"

#include <sqlite3.h>

#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "store/sqlite/db.h"

namespace pushmail::store::sqlite {
namespace {

struct FaultVfsData {
  sqlite3_vfs vfs{};
  sqlite3_vfs* real = nullptr;
  DiskFaults* faults = nullptr;
  std::string name;
};

// The file SQLite holds: ours first, the default VFS's file right behind it.
struct FaultFile {
  sqlite3_file base;
  DiskFaults* faults;
  sqlite3_file* real;
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }
DiskFaults& Faults(sqlite3_file* f) { return *reinterpret_cast<FaultFile*>(f)->faults; }

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (Faults(f).db_write_full.load()) return SQLITE_FULL;
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int Sync(sqlite3_file* f, int flags) {
  if (Faults(f).db_sync_fails.load()) return SQLITE_IOERR_FSYNC;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int level) { return Real(f)->pMethods->xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return Real(f)->pMethods->xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int remove) { return Real(f)->pMethods->xShmUnmap(Real(f), remove); }

// Version 2: the WAL's shared memory, but no memory-mapped reads (mmap_size stays 0).
constexpr sqlite3_io_methods kMethods = {2,
                                         &Close,
                                         &Read,
                                         &Write,
                                         &Truncate,
                                         &Sync,
                                         &FileSize,
                                         &Lock,
                                         &Unlock,
                                         &CheckReservedLock,
                                         &FileControl,
                                         &SectorSize,
                                         &DeviceCharacteristics,
                                         &ShmMap,
                                         &ShmLock,
                                         &ShmBarrier,
                                         &ShmUnmap,
                                         nullptr,
                                         nullptr};

FaultVfsData& Data(sqlite3_vfs* vfs) { return *static_cast<FaultVfsData*>(vfs->pAppData); }

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  FaultVfsData& data = Data(vfs);
  auto* ours = reinterpret_cast<FaultFile*>(file);
  ours->base.pMethods = nullptr;
  ours->faults = data.faults;
  ours->real = reinterpret_cast<sqlite3_file*>(ours + 1);
  int rc = data.real->xOpen(data.real, name, ours->real, flags, out_flags);
  if (rc == SQLITE_OK && ours->real->pMethods != nullptr) ours->base.pMethods = &kMethods;
  return rc;
}
int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return Data(vfs).real->xDelete(Data(vfs).real, name, sync_dir);
}
int Access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return Data(vfs).real->xAccess(Data(vfs).real, name, flags, out);
}
int FullPathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
  return Data(vfs).real->xFullPathname(Data(vfs).real, name, n, out);
}
int Randomness(sqlite3_vfs* vfs, int n, char* out) {
  return Data(vfs).real->xRandomness(Data(vfs).real, n, out);
}
int Sleep(sqlite3_vfs* vfs, int micros) { return Data(vfs).real->xSleep(Data(vfs).real, micros); }
int CurrentTime(sqlite3_vfs* vfs, double* out) {
  return Data(vfs).real->xCurrentTime(Data(vfs).real, out);
}
int GetLastError(sqlite3_vfs* vfs, int n, char* out) {
  return Data(vfs).real->xGetLastError(Data(vfs).real, n, out);
}
int CurrentTimeInt64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return Data(vfs).real->xCurrentTimeInt64(Data(vfs).real, out);
}

}  // namespace

Result<std::string> FaultVfs(DiskFaults* faults) {
  static std::mutex mu;
  static std::map<DiskFaults*, std::unique_ptr<FaultVfsData>> registered;  // never unregistered
  std::lock_guard lock(mu);
  auto& data = registered[faults];
  if (data) return data->name;
  sqlite3_initialize();
  auto made = std::make_unique<FaultVfsData>();
  made->real = sqlite3_vfs_find(nullptr);
  made->faults = faults;
  made->name = "pushmail-faults-" + std::to_string(registered.size());
  sqlite3_vfs& v = made->vfs;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(FaultFile)) + made->real->szOsFile;
  v.mxPathname = made->real->mxPathname;
  v.zName = made->name.c_str();
  v.pAppData = made.get();
  v.xOpen = &Open;
  v.xDelete = &Delete;
  v.xAccess = &Access;
  v.xFullPathname = &FullPathname;
  v.xRandomness = &Randomness;
  v.xSleep = &Sleep;
  v.xCurrentTime = &CurrentTime;
  v.xGetLastError = &GetLastError;
  v.xCurrentTimeInt64 = &CurrentTimeInt64;
  if (int rc = sqlite3_vfs_register(&v, 0); rc != SQLITE_OK) {
    registered.erase(faults);
    return SqliteError(rc);
  }
  data = std::move(made);
  return data->name;
}

}  // namespace pushmail::store::sqlite
