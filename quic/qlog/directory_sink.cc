#include "quic/qlog/directory_sink.h"

#include <cerrno>
#include <cstring>

namespace kite::quic::qlog {

std::string QlogFileName(const ConnectionId& odcid, Perspective perspective) {
  std::string name = odcid.empty() ? std::string("unknown") : odcid.ToHex();
  name += perspective == Perspective::kClient ? "_client.sqlog" : "_server.sqlog";
  return name;
}

DirectorySink::~DirectorySink() {
  if (file_ != nullptr) std::fclose(file_);
}

absl::Status DirectorySink::Open(const ConnectionId& odcid, Perspective perspective) {
  if (file_ != nullptr) return absl::FailedPreconditionError("qlog file already open");
  path_ = directory_;
  if (!path_.empty() && path_.back() != '/') path_.push_back('/');
  path_ += QlogFileName(odcid, perspective);
  file_ = std::fopen(path_.c_str(), "wb");
  if (file_ == nullptr) {
    failed_ = true;
    return absl::UnavailableError(path_ + ": " + std::strerror(errno));
  }
  return absl::OkStatus();
}

void DirectorySink::Write(std::string_view bytes) {
  if (file_ == nullptr || failed_) return;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) failed_ = true;
}

void DirectorySink::Flush() {
  if (file_ != nullptr && std::fflush(file_) != 0) failed_ = true;
}

}  // namespace kite::quic::qlog
