// The request handler behind kite_server: GET/HEAD of files under a root directory and of
// /bytes/N (N bytes of the deterministic pattern of bytes_pattern.h), POST echoing the request
// body. Bodies are produced as the transport takes them (ServerHandler::OnResponseWritable), so
// a large file or /bytes/N never sits in memory whole.
//
// One handler per connection (the server endpoint makes one per session).
#ifndef KITE_HTTP3_ENDPOINT_FILE_SERVER_HANDLER_H_
#define KITE_HTTP3_ENDPOINT_FILE_SERVER_HANDLER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "http3/server_session.h"

namespace kite::http3 {

struct FileServerOptions {
  // Directory served for paths other than /bytes/N; empty serves nothing but /bytes/N.
  std::string root;
  // Largest N accepted in /bytes/N (a bound on what one request can make us send).
  uint64_t max_pattern_bytes = uint64_t{1} << 36;
  // Largest POST body echoed; beyond it the answer is 413.
  size_t max_post_bytes = 16 << 20;
  // Body bytes handed to the session per step, and how much may wait in its queue.
  size_t chunk_bytes = 64 << 10;
};

class FileServerHandler : public ServerHandler {
 public:
  explicit FileServerHandler(FileServerOptions options) : options_(std::move(options)) {}
  ~FileServerHandler() override;

  void OnRequest(ServerSession& session, uint64_t stream_id, const RequestHead& head) override;
  void OnRequestBody(ServerSession& session, uint64_t stream_id,
                     absl::Span<const uint8_t> data) override;
  void OnRequestComplete(ServerSession& session, uint64_t stream_id,
                         const HeaderList& trailers) override;
  void OnRequestAborted(ServerSession& session, uint64_t stream_id, Http3ErrorCode code) override;
  void OnResponseWritable(ServerSession& session, uint64_t stream_id) override;

  uint64_t requests() const { return requests_; }
  uint64_t body_bytes_sent() const { return body_bytes_sent_; }

 private:
  struct Exchange {
    std::string method;
    std::string path;
    std::vector<uint8_t> request_body;
    bool too_large = false;
    // Response body still to produce.
    enum class Source { kNone, kPattern, kFile } source = Source::kNone;
    uint64_t offset = 0;
    uint64_t remaining = 0;
    int fd = -1;
  };

  void Respond(ServerSession& session, uint64_t stream_id, Exchange& ex);
  void SendSimple(ServerSession& session, uint64_t stream_id, int status, std::string body);
  // Moves body bytes to the session until its queue holds a chunk or the body is done.
  void Produce(ServerSession& session, uint64_t stream_id);
  void Finish(uint64_t stream_id);

  FileServerOptions options_;
  std::map<uint64_t, Exchange> exchanges_;
  std::vector<uint8_t> scratch_;
  uint64_t requests_ = 0;
  uint64_t body_bytes_sent_ = 0;
};

// The file under `root` a request path names, or "" when it names none (not absolute, a ".."
// or empty segment, a query or NUL byte): paths never leave the root.
std::string ResolveUnderRoot(const std::string& root, const std::string& request_path);

}  // namespace kite::http3

#endif  // KITE_HTTP3_ENDPOINT_FILE_SERVER_HANDLER_H_
