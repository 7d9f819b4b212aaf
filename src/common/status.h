// Status and StatusOr: results of operations that can fail, without exceptions.
//
// A Status is either OK (no allocation, one pointer-sized word) or carries an
// error message that is the exact text Redis would send after the leading '-'
// (for example "WRONGTYPE Operation against a key holding the wrong kind of
// value"). Storage operations return these; command handlers turn them into
// replies. Thread-safety: plain values, no sharing.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace basalt {

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  // `message` is the full error line without the leading '-' and the CRLF.
  static Status Error(std::string_view message) { return Status(message); }

  bool ok() const { return msg_ == nullptr; }
  // REQUIRES: !ok()
  const std::string& message() const { return *msg_; }

  Status(const Status& o) : msg_(o.msg_ ? std::make_unique<std::string>(*o.msg_) : nullptr) {}
  Status& operator=(const Status& o) {
    if (this != &o) msg_ = o.msg_ ? std::make_unique<std::string>(*o.msg_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

 private:
  explicit Status(std::string_view m) : msg_(std::make_unique<std::string>(m)) {}
  std::unique_ptr<std::string> msg_;
};

// StatusOr<T>: a T, or an error Status.
template <typename T>
class StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {}  // NOLINT: REQUIRES !status.ok()

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace basalt
