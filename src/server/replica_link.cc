#include "server/replica_link.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "common/clock.h"
#include "common/logging.h"
#include "persistence/snapshot.h"
#include "server/client.h"
#include "server/server.h"

namespace basalt::server {
namespace {

// Writes the full-sync reply and the snapshot to the replica's socket from
// the snapshot thread, on its own descriptor (a dup), so the worker closing
// the client never leaves it writing to a reused fd.
class ReplicaSink final : public persistence::SnapshotSink {
 public:
  explicit ReplicaSink(int fd) : fd_(dup(fd)) {}
  ~ReplicaSink() override {
    if (fd_ >= 0) close(fd_);
  }
  void set_preamble(std::string p) { preamble_ = std::move(p); }
  Status Write(std::string_view bytes) override {
    if (!preamble_.empty()) {
      std::string p;
      p.swap(preamble_);
      Status st = WriteAll(p);
      if (!st.ok()) return st;
    }
    return WriteAll(bytes);
  }
  Status WriteAll(std::string_view bytes) {
    if (fd_ < 0) return Status::Error("dup failed");
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n > 0) {
        bytes.remove_prefix(size_t(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        pollfd p{fd_, POLLOUT, 0};
        if (poll(&p, 1, 60000) <= 0) return Status::Error("timeout writing to the replica");
        continue;
      }
      return Status::Error(std::string("error writing to the replica: ") + strerror(errno));
    }
    return Status::Ok();
  }

 private:
  int fd_;
  std::string preamble_;
};

std::string RandomMark() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string s(40, '0');
  for (char& c : s) c = kHex[rd() % 16];
  return s;
}

}  // namespace

ReplicaLink::ReplicaLink(Server& server, Client* client)
    : server_(server), client_(client), worker_(client->worker()) {
  std::string addr = client->addr;
  auto colon = addr.rfind(':');
  ip_ = colon == std::string::npos ? addr : addr.substr(0, colon);
  last_ack_ms_.store(NowMs());
}

ReplicaLink::~ReplicaLink() = default;

std::string ReplicaLink::StartFullSync(bool psync) {
  std::string mark = RandomMark();
  auto sink = std::make_shared<ReplicaSink>(client_->fd);
  std::weak_ptr<ReplicaLink> weak = weak_from_this();
  Worker* worker = worker_;
  std::string replid = server_.replid();
  client_->set_raw_transfer(true);
  Status st = server_.persistence().StartReplicaSync(
      [&](int64_t offset) {
        // The instant: the replica's stream starts exactly here.
        server_.write_log().AddTap(this);
        {
          std::lock_guard<std::mutex> lock(mu_);
          tapped_ = true;
        }
        std::string pre;
        if (psync) pre = "+FULLRESYNC " + replid + " " + std::to_string(offset) + "\r\n";
        pre += "$EOF:" + mark + "\r\n";
        sink->set_preamble(std::move(pre));
        ack_offset_.store(0);
      },
      sink,
      [sink, mark, weak, worker](Status result) {
        if (result.ok()) result = sink->WriteAll(mark);
        bool ok = result.ok();
        worker->loop().Post([weak, ok] {
          if (auto link = weak.lock()) link->TransferDone(ok);
        });
      });
  if (!st.ok()) {
    client_->set_raw_transfer(false);
    return "ERR " + st.message() + ", retry the sync later";
  }
  state_.store(State::kSendBulk);
  Log(LogLevel::kNotice, "Replica %s:%d asks for synchronization; starting a diskless full sync",
      ip_.c_str(), listening_port());
  return "";
}

bool ReplicaLink::StartPartialSync(int64_t from, const std::string& replid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    online_ = true;
    tapped_ = true;
  }
  if (!server_.write_log().AddTapFrom(this, from)) {
    std::lock_guard<std::mutex> lock(mu_);
    online_ = false;
    tapped_ = false;
    return false;
  }
  // The backlog waits in pending_ for a Pump on this thread, which runs
  // after this command: the reply goes out first.
  client_->AppendRaw("+CONTINUE " + replid + "\r\n");
  state_.store(State::kOnline);
  last_ack_ms_.store(NowMs());
  ack_offset_.store(from);
  Log(LogLevel::kNotice, "Partial resynchronization request from %s:%d accepted. Sending %lld "
      "bytes of backlog starting from offset %lld.", ip_.c_str(), listening_port(),
      (long long)(server_.write_log().offset() - from), (long long)(from + 1));
  return true;
}

void ReplicaLink::Disconnect() {
  std::weak_ptr<ReplicaLink> weak = weak_from_this();
  worker_->loop().Post([weak] {
    auto link = weak.lock();
    if (link && link->client_ != nullptr) link->client_->Close();
  });
}

void ReplicaLink::TransferDone(bool ok) {
  if (client_ == nullptr) return;
  client_->set_raw_transfer(false);
  if (!ok) {
    client_->Close();
    return;
  }
  // A diskless replica finds the end of the snapshot by its last 40 bytes, so
  // the stream may only follow once it has loaded it and sent its first ACK.
  transfer_done_ = true;
  last_ack_ms_.store(NowMs());
}

void ReplicaLink::GoOnline() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    online_ = true;
  }
  state_.store(State::kOnline);
  Log(LogLevel::kNotice, "Synchronization with replica %s:%d succeeded", ip_.c_str(),
      listening_port());
  Pump();
}

void ReplicaLink::OnAppend(std::string_view bytes, int64_t) {
  std::lock_guard<std::mutex> lock(mu_);
  pending_.append(bytes);
  if (online_ && !posted_) {
    posted_ = true;
    std::weak_ptr<ReplicaLink> weak = weak_from_this();
    worker_->loop().Post([weak] {
      if (auto link = weak.lock()) link->Pump();
    });
  }
}

void ReplicaLink::Pump() {
  std::string data;
  {
    std::lock_guard<std::mutex> lock(mu_);
    posted_ = false;
    data.swap(pending_);
  }
  if (client_ == nullptr || data.empty()) return;
  client_->AppendRaw(data);
  client_->Flush();
}

void ReplicaLink::Ack(int64_t offset) {
  ack_offset_.store(offset);
  last_ack_ms_.store(NowMs());
  if (transfer_done_ && state_.load() != State::kOnline) GoOnline();
}

void ReplicaLink::Detach() {
  bool tapped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    tapped = tapped_;
    tapped_ = false;
    online_ = false;
  }
  if (tapped) server_.write_log().RemoveTap(this);
  client_ = nullptr;
  server_.RemoveReplica(this);
}

}  // namespace basalt::server
