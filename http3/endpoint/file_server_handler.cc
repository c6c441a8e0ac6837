#include "http3/endpoint/file_server_handler.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "http3/endpoint/bytes_pattern.h"
#include "http3/endpoint/content_type.h"

namespace kite::http3 {

namespace {

constexpr std::string_view kBytesPrefix = "/bytes/";

HeaderList ResponseFields(int status, uint64_t content_length, const char* content_type) {
  HeaderList h;
  h.push_back({":status", absl::StrCat(status)});
  h.push_back({"content-length", absl::StrCat(content_length)});
  h.push_back({"content-type", content_type});
  h.push_back({"server", "kite"});
  return h;
}

}  // namespace

std::string ResolveUnderRoot(const std::string& root, const std::string& request_path) {
  if (root.empty() || request_path.empty() || request_path[0] != '/') return "";
  std::string path = request_path.substr(0, request_path.find('?'));
  if (path.find('\0') != std::string::npos) return "";
  std::string out = root;
  if (path == "/") return absl::StrCat(out, "/index.html");
  for (absl::string_view seg : absl::StrSplit(absl::string_view(path).substr(1), '/')) {
    if (seg.empty() || seg == "." || seg == "..") return "";
    absl::StrAppend(&out, "/", seg);
  }
  return out;
}

FileServerHandler::~FileServerHandler() {
  for (auto& [id, ex] : exchanges_) {
    if (ex.fd >= 0) close(ex.fd);
  }
}

void FileServerHandler::OnRequest(ServerSession& session, uint64_t stream_id,
                                  const RequestHead& head) {
  (void)session;
  ++requests_;
  Exchange& ex = exchanges_[stream_id];
  ex.method = head.method;
  ex.path = head.path;
}

void FileServerHandler::OnRequestBody(ServerSession& session, uint64_t stream_id,
                                      absl::Span<const uint8_t> data) {
  (void)session;
  auto it = exchanges_.find(stream_id);
  if (it == exchanges_.end() || it->second.too_large) return;
  Exchange& ex = it->second;
  if (ex.request_body.size() + data.size() > options_.max_post_bytes) {
    ex.too_large = true;
    ex.request_body.clear();
    ex.request_body.shrink_to_fit();
    return;
  }
  ex.request_body.insert(ex.request_body.end(), data.begin(), data.end());
}

void FileServerHandler::OnRequestComplete(ServerSession& session, uint64_t stream_id,
                                          const HeaderList& trailers) {
  (void)trailers;
  auto it = exchanges_.find(stream_id);
  if (it == exchanges_.end()) return;
  Respond(session, stream_id, it->second);
}

void FileServerHandler::OnRequestAborted(ServerSession& session, uint64_t stream_id,
                                         Http3ErrorCode code) {
  (void)session, (void)code;
  Finish(stream_id);
}

void FileServerHandler::OnResponseWritable(ServerSession& session, uint64_t stream_id) {
  Produce(session, stream_id);
}

void FileServerHandler::SendSimple(ServerSession& session, uint64_t stream_id, int status,
                                   std::string body) {
  absl::Status st = session.SendResponseHeaders(
      stream_id, ResponseFields(status, body.size(), "text/plain"), body.empty());
  if (st.ok() && !body.empty()) {
    st = session.SendResponseBody(
        stream_id, absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(body.data()), body.size()),
        /*end_stream=*/true);
  }
  Finish(stream_id);
}

void FileServerHandler::Respond(ServerSession& session, uint64_t stream_id, Exchange& ex) {
  const bool head = ex.method == "HEAD";
  if (ex.method == "POST" || ex.method == "PUT") {
    if (ex.too_large) return SendSimple(session, stream_id, 413, "request body too large\n");
    std::vector<uint8_t> body = std::move(ex.request_body);
    absl::Status st = session.SendResponseHeaders(
        stream_id, ResponseFields(200, body.size(), "application/octet-stream"), body.empty());
    if (st.ok() && !body.empty()) {
      body_bytes_sent_ += body.size();
      st = session.SendResponseBody(stream_id, body, /*end_stream=*/true);
    }
    return Finish(stream_id);
  }
  if (ex.method != "GET" && !head) return SendSimple(session, stream_id, 405, "");

  std::string_view path = ex.path;
  if (path.substr(0, kBytesPrefix.size()) == kBytesPrefix) {
    uint64_t n = 0;
    std::string digits(path.substr(kBytesPrefix.size()));
    digits = digits.substr(0, digits.find('?'));
    if (!absl::SimpleAtoi(digits, &n) || n > options_.max_pattern_bytes) {
      return SendSimple(session, stream_id, 400, "bad length\n");
    }
    ex.source = Exchange::Source::kPattern;
    ex.remaining = head ? 0 : n;
    absl::Status st = session.SendResponseHeaders(
        stream_id, ResponseFields(200, n, "application/octet-stream"), ex.remaining == 0);
    if (!st.ok() || ex.remaining == 0) return Finish(stream_id);
    return Produce(session, stream_id);
  }

  std::string file = ResolveUnderRoot(options_.root, ex.path);
  if (file.empty()) return SendSimple(session, stream_id, 404, "not found\n");
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat sb {};
  if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    if (fd >= 0) close(fd);
    return SendSimple(session, stream_id, 404, "not found\n");
  }
  ex.fd = fd;
  ex.source = Exchange::Source::kFile;
  ex.remaining = head ? 0 : static_cast<uint64_t>(sb.st_size);
  absl::Status st = session.SendResponseHeaders(
      stream_id, ResponseFields(200, static_cast<uint64_t>(sb.st_size), ContentTypeForPath(file)),
      ex.remaining == 0);
  if (!st.ok() || ex.remaining == 0) return Finish(stream_id);
  Produce(session, stream_id);
}

void FileServerHandler::Produce(ServerSession& session, uint64_t stream_id) {
  auto it = exchanges_.find(stream_id);
  if (it == exchanges_.end()) return;
  Exchange& ex = it->second;
  if (ex.source == Exchange::Source::kNone) return;
  scratch_.resize(options_.chunk_bytes);
  while (ex.remaining > 0 && session.QueuedBytes(stream_id) < options_.chunk_bytes) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(ex.remaining, scratch_.size()));
    if (ex.source == Exchange::Source::kPattern) {
      FillPattern(ex.offset, absl::MakeSpan(scratch_.data(), n));
    } else {
      ssize_t got = pread(ex.fd, scratch_.data(), n, static_cast<off_t>(ex.offset));
      if (got <= 0) {
        // The file shrank or failed under us: the promised length cannot be met.
        session.CancelRequest(stream_id);
        return Finish(stream_id);
      }
      n = static_cast<size_t>(got);
    }
    ex.offset += n;
    ex.remaining -= n;
    body_bytes_sent_ += n;
    absl::Status st = session.SendResponseBody(
        stream_id, absl::MakeConstSpan(scratch_.data(), n), ex.remaining == 0);
    if (!st.ok()) return Finish(stream_id);
  }
  if (ex.remaining == 0) Finish(stream_id);
}

void FileServerHandler::Finish(uint64_t stream_id) {
  auto it = exchanges_.find(stream_id);
  if (it == exchanges_.end()) return;
  if (it->second.fd >= 0) close(it->second.fd);
  exchanges_.erase(it);
}

}  // namespace kite::http3
