#include "http3/qpack/dynamic_table.h"

#include <utility>

namespace kite::http3::qpack {

std::string DynamicTable::Key(std::string_view name, std::string_view value) {
  std::string key(name);
  key.push_back('\0');
  key.append(value.data(), value.size());
  return key;
}

bool DynamicTable::SetCapacity(uint64_t capacity) {
  if (capacity > max_capacity_) return false;
  capacity_ = capacity;
  while (size_ > capacity_) EvictOldest();
  return true;
}

void DynamicTable::EvictOldest() {
  const uint64_t index = first_index();
  const HeaderField& e = entries_.front();
  size_ -= FieldSize(e);
  // Maps hold the newest index per key; drop the key only if it points at this entry.
  auto x = exact_.find(Key(e.name, e.value));
  if (x != exact_.end() && x->second == index) exact_.erase(x);
  auto n = names_.find(e.name);
  if (n != names_.end() && n->second == index) names_.erase(n);
  entries_.pop_front();
}

bool DynamicTable::Insert(std::string name, std::string value) {
  HeaderField entry{std::move(name), std::move(value)};
  const uint64_t entry_size = FieldSize(entry);
  if (entry_size > capacity_) return false;
  // §3.2.2: the caller's name and value are already copied, so evicting an entry this one
  // was built from (Insert With Name Reference, Duplicate) is safe.
  while (size_ + entry_size > capacity_) EvictOldest();
  const uint64_t index = insert_count_++;
  exact_[Key(entry.name, entry.value)] = index;
  names_[entry.name] = index;
  size_ += entry_size;
  entries_.push_back(std::move(entry));
  return true;
}

const HeaderField* DynamicTable::Get(uint64_t absolute_index) const {
  if (absolute_index < first_index() || absolute_index >= insert_count_) return nullptr;
  return &entries_[static_cast<size_t>(absolute_index - first_index())];
}

std::optional<uint64_t> DynamicTable::SurvivorsAfterInsert(uint64_t entry_size) const {
  if (entry_size > capacity_) return std::nullopt;
  uint64_t size = size_;
  uint64_t index = first_index();
  for (const HeaderField& e : entries_) {
    if (size + entry_size <= capacity_) break;
    size -= FieldSize(e);
    ++index;
  }
  return index;
}

uint64_t DynamicTable::DrainingBoundary(uint64_t free_target) const {
  // Free space counts; then walk from the oldest entry until enough bytes are covered.
  uint64_t covered = capacity_ > size_ ? capacity_ - size_ : 0;
  uint64_t index = first_index();
  for (const HeaderField& e : entries_) {
    if (covered >= free_target) break;
    covered += FieldSize(e);
    ++index;
  }
  return index;
}

std::optional<uint64_t> DynamicTable::FindExact(std::string_view name,
                                                std::string_view value) const {
  auto it = exact_.find(Key(name, value));
  if (it == exact_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> DynamicTable::FindName(std::string_view name) const {
  auto it = names_.find(std::string(name));
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

}  // namespace kite::http3::qpack
