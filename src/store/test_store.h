// For unit tests: a fresh SQLite store with every migration applied, in a temporary
// directory of its own (on tmpfs when there is one) that goes with the object.
//
//   store::TempStore db("klaxon_facts_test");
//   ASSERT_TRUE(db.status().ok()) << db.status().ToString();
//   db->Write(...);
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/store.h"

namespace klaxon::store {

// A fresh directory named after `prefix`; "" when it cannot be made.
inline std::string MakeTempDir(const char* prefix) {
  std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  std::string tmpl = base + "/" + prefix + "_XXXXXX";
  return mkdtemp(tmpl.data()) ? tmpl : "";
}

class TempStore {
 public:
  explicit TempStore(const char* prefix) : dir_(MakeTempDir(prefix)) {
    if (dir_.empty()) {
      status_ = Internal(std::string("cannot make a temporary directory for ") + prefix);
      return;
    }
    SqliteOptions o;
    o.synchronous_full = false;  // a test's data need not survive a power cut
    auto s = OpenStore("sqlite:" + dir_ + "/klaxon.db", o);
    if (!s.ok()) {
      status_ = s.status();
      return;
    }
    store_ = std::move(s).value();
  }
  ~TempStore() {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  const Status& status() const { return status_; }
  const std::string& dir() const { return dir_; }
  Store* get() const { return store_.get(); }
  Store* operator->() const { return store_.get(); }
  Store& operator*() const { return *store_; }

 private:
  std::string dir_;
  Status status_ = Status::Ok();
  std::unique_ptr<Store> store_;
};

}  // namespace klaxon::store
