// TxMap: one table of the simulator's state (a std::map from key to record) whose writes are
// journalled while a transaction is open, so that a failed model call can be undone in
// O(records it touched) instead of copying the whole state before every call. Reads are the
// std::map const API; every write goes through operator[], edit() or erase(), which note the
// record's previous value (or its absence) first. rollback() replays the notes newest first.
// Mutable iteration is deliberately absent: a loop that changes records calls edit() per record.
// Not thread-safe (the Model's mutex guards it).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "test/truenas-sim/json/json.h"

namespace tnascsi::sim {

template <typename K>
class TxMap {
 public:
  using Map = std::map<K, Json>;
  using const_iterator = typename Map::const_iterator;

  TxMap() = default;
  explicit TxMap(Map rows) : rows_(std::move(rows)) {}

  // --- reads
  const_iterator begin() const { return rows_.begin(); }
  const_iterator end() const { return rows_.end(); }
  const_iterator find(const K& key) const { return rows_.find(key); }
  size_t count(const K& key) const { return rows_.count(key); }
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  const Json& at(const K& key) const { return rows_.at(key); }

  // --- writes (journalled while a transaction is open)
  // Like std::map::operator[]: inserts a null record when absent.
  Json& operator[](const K& key) {
    note(key);
    return rows_[key];
  }
  // The record at `it` (from find() or iteration), for changing in place.
  Json& edit(const_iterator it) {
    note(it->first);
    return rows_.find(it->first)->second;
  }
  size_t erase(const K& key) {
    auto it = rows_.find(key);
    if (it == rows_.end()) return 0;
    note(key);
    rows_.erase(it);
    return 1;
  }
  const_iterator erase(const_iterator it) {
    note(it->first);
    return rows_.erase(it);
  }

  // --- transactions
  void beginTx() {
    undo_.clear();
    open_ = true;
  }
  void commit() {
    undo_.clear();
    open_ = false;
  }
  void rollback() {
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
      if (it->second) {
        rows_[it->first] = std::move(*it->second);
      } else {
        rows_.erase(it->first);
      }
    }
    commit();
  }

 private:
  void note(const K& key) {
    if (!open_) return;
    auto it = rows_.find(key);
    undo_.emplace_back(key, it == rows_.end() ? std::nullopt : std::optional<Json>(it->second));
  }

  Map rows_;
  bool open_ = false;
  std::vector<std::pair<K, std::optional<Json>>> undo_;
};

}  // namespace tnascsi::sim
