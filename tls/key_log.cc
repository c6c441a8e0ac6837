#include "tls/key_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kite::tls {

absl::StatusOr<std::shared_ptr<KeyLogFile>> KeyLogFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot open key log file ", path, ": ", std::strerror(errno)));
  }
  std::FILE* file = ::fdopen(fd, "a");
  if (file == nullptr) {
    int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("fdopen ", path, ": ", std::strerror(err)));
  }
  return std::shared_ptr<KeyLogFile>(new KeyLogFile(file));
}

KeyLogFile::~KeyLogFile() { std::fclose(file_); }

void KeyLogFile::Write(std::string_view line) {
  std::lock_guard<std::mutex> lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

KeyLogSink KeyLogFile::AsSink(std::shared_ptr<KeyLogFile> file) {
  return [file = std::move(file)](std::string_view line) { file->Write(line); };
}

}  // namespace kite::tls
