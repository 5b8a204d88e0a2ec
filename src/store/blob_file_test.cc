#include "store/blob_file.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

TEST(BlobFile, AppendReadAcrossReopen) {
  testing::TempDir dir;
  BlobLocation a, b;
  {
    auto file = BlobFile::Open(dir.File("blobs"), std::make_shared<Health>());
    ASSERT_TRUE(file.has_value());
    a = *(*file)->Append("first message");
    b = *(*file)->Append(std::string(100000, 'x'));
    ASSERT_FALSE((*file)->Sync());
    EXPECT_EQ(*(*file)->Read(a), "first message");
  }
  auto file = BlobFile::Open(dir.File("blobs"), std::make_shared<Health>());
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(*(*file)->Read(b), std::string(100000, 'x'));
  auto c = (*file)->Append("after reopen");  // continues at the end, overwrites nothing
  EXPECT_GE(c->offset, b.offset + b.length);
  EXPECT_EQ(*(*file)->Read(a), "first message");
}

// A sync covers every Append that returned before it began; callers it covers do not sync
// again, and callers that come while one runs share it or run the next.
TEST(BlobFile, SyncThroughSharesSyncs) {
  testing::TempDir dir;
  auto file = std::move(*BlobFile::Open(dir.File("blobs"), std::make_shared<Health>()));
  EXPECT_FALSE(file->SyncThrough(file->Appended()));  // nothing appended: nothing to sync
  EXPECT_EQ(file->SyncsRun(), 0u);
  ASSERT_TRUE(file->Append("one").has_value());
  uint64_t one = file->Appended();
  ASSERT_TRUE(file->Append("two").has_value());
  EXPECT_FALSE(file->SyncThrough(file->Appended()));
  EXPECT_EQ(file->SyncsRun(), 1u);
  EXPECT_FALSE(file->SyncThrough(one));  // covered by the sync that ran for "two"
  EXPECT_EQ(file->SyncsRun(), 1u);

  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> failed{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!file->Append(std::string(1000, 'x'))) ++failed;
        if (file->SyncThrough(file->Appended())) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_LE(file->SyncsRun(), 1u + 400u);
  uint64_t before = file->SyncsRun();
  EXPECT_FALSE(file->SyncThrough(file->Appended()));  // everything is covered already
  EXPECT_EQ(file->SyncsRun(), before);
}

TEST(BlobFile, ConcurrentAppendsDoNotOverlap) {
  testing::TempDir dir;
  auto file = std::move(*BlobFile::Open(dir.File("blobs"), std::make_shared<Health>()));
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<std::vector<BlobLocation>> where(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        where[t].push_back(*file->Append(std::string(100 + i, static_cast<char>('a' + t))));
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 200; ++i) {
      EXPECT_EQ(*file->Read(where[t][i]), std::string(100 + i, static_cast<char>('a' + t)));
    }
  }
}

// The first failed fdatasync latches: no later sync is tried (it would "succeed" once the
// kernel dropped the pages), so nothing written before it can ever be reported durable.
TEST(BlobFile, AFailedSyncIsNeverRetried) {
  testing::TempDir dir;
  DiskFaults faults;
  auto health = std::make_shared<Health>();
  auto file = std::move(*BlobFile::Open(dir.File("blobs"), health, &faults));
  ASSERT_TRUE(file->Append("durable").has_value());
  ASSERT_FALSE(file->SyncThrough(file->Appended()));
  ASSERT_TRUE(file->Append("lost?").has_value());
  faults.blob_sync_errno = EIO;
  EXPECT_EQ(file->SyncThrough(file->Appended()), StoreErrc::kReadOnly);
  EXPECT_TRUE(health->read_only());
  faults.blob_sync_errno = 0;  // the disk answers again: still no
  EXPECT_EQ(file->SyncThrough(file->Appended()), StoreErrc::kReadOnly);
  EXPECT_EQ(file->Sync(), StoreErrc::kReadOnly);
  auto after = file->Append("after");
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error(), StoreErrc::kReadOnly);
}

// A full disk is not a lost write: the append fails, nothing latches, and once there is space
// appends and syncs work again.
TEST(BlobFile, AFullDiskRefusesTheAppendAndRecovers) {
  testing::TempDir dir;
  DiskFaults faults;
  auto health = std::make_shared<Health>();
  auto file = std::move(*BlobFile::Open(dir.File("blobs"), health, &faults));
  faults.blob_write_errno = ENOSPC;
  auto refused = file->Append("no room");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), StoreErrc::kDiskFull);
  EXPECT_FALSE(health->read_only());
  EXPECT_EQ(health->disk_full(), 1u);
  faults.blob_write_errno = 0;
  auto stored = file->Append("room again");
  ASSERT_TRUE(stored.has_value());
  EXPECT_FALSE(file->SyncThrough(file->Appended()));
  EXPECT_EQ(*file->Read(*stored), "room again");
}

// Any other write error may have left a torn range behind: it latches.
TEST(BlobFile, AWriteErrorLatches) {
  testing::TempDir dir;
  DiskFaults faults;
  auto health = std::make_shared<Health>();
  auto file = std::move(*BlobFile::Open(dir.File("blobs"), health, &faults));
  faults.blob_write_errno = EIO;
  auto refused = file->Append("bad disk");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error(), StoreErrc::kReadOnly);
  EXPECT_TRUE(health->read_only());
}

TEST(BlobFile, ReadingPastTheEndIsAnError) {
  testing::TempDir dir;
  auto file = std::move(*BlobFile::Open(dir.File("blobs"), std::make_shared<Health>()));
  EXPECT_FALSE(file->Read({1, 1000, 10}).has_value());
  EXPECT_FALSE(file->Read({7, 0, 10}).has_value());  // no such segment
}

}  // namespace
}  // namespace pushmail::store
