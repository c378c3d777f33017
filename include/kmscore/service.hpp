// kmscore/service.hpp: every action of the API over a key store, with typed requests.
//
//   kmscore::kms_service service{backend, store, domain_id};
//   auto created = service.create_key(request, now_ms);          // result<key_record>
//   auto made = service.create_datakey(datakey_request);         // result<create_datakey_response>
//
// Each action validates its request (requests.hpp: every field check, in documented order),
// finds the master key in the store (KMS.0207 when it has none), and runs the operation
// (datakey.hpp, create_key.hpp) on it. The JSON layer (json.hpp) and the
// `kmscore` tool are thin wrappers over this class. Thread safety: as the backend and store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "create_key.hpp"
#include "datakey.hpp"
#include "key_store.hpp"

namespace kmscore {

template <crypto_backend Backend>
class kms_service {
 public:
  kms_service(Backend& backend, key_store& store, std::string domain_id,
              datakey_length_policy policy = datakey_length_policy::range)
      : backend_{&backend}, store_{&store}, domain_id_{std::move(domain_id)}, policy_{policy} {}

  [[nodiscard]] datakey_length_policy policy() const noexcept { return policy_; }

  [[nodiscard]] result<key_record> create_key(const create_key_request& request,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(auto record, kmscore::create_key(*backend_, params, domain_id_, now_ms));
    KMSCORE_TRY_ASSIGN(auto summary, clone_record(record));
    KMSCORE_TRY(store_->insert(std::move(record)));
    return summary;
  }

  [[nodiscard]] result<create_datakey_response> create_datakey(
      const create_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request, policy_));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::create_datakey(*backend_, record.key, params);
  }

  [[nodiscard]] result<create_datakey_without_plaintext_response> create_datakey_without_plaintext(
      const create_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request, policy_));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::create_datakey_without_plaintext(*backend_, record.key, params);
  }

  [[nodiscard]] result<encrypt_datakey_response> encrypt_datakey(
      const encrypt_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::encrypt_datakey(*backend_, record.key, params);
  }

  [[nodiscard]] result<decrypt_datakey_response> decrypt_datakey(
      const decrypt_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::decrypt_datakey(*backend_, record.key, params);
  }

  [[nodiscard]] result<key_record> describe_key(const key_id_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    return find_existing(params.key_id());
  }

  [[nodiscard]] result<std::vector<key_record>> list_keys() { return store_->list(); }

  [[nodiscard]] result<key_record> enable_key(const key_id_request& request) {
    return transition(request, [](key_record& record) { return kmscore::enable_key(record); });
  }
  [[nodiscard]] result<key_record> disable_key(const key_id_request& request) {
    return transition(request, [](key_record& record) { return kmscore::disable_key(record); });
  }
  [[nodiscard]] result<key_record> cancel_key_deletion(const key_id_request& request) {
    return transition(request,
                      [](key_record& record) { return kmscore::cancel_key_deletion(record); });
  }
  [[nodiscard]] result<key_record> schedule_key_deletion(
      const schedule_key_deletion_request& request, std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(auto record, find_existing(params.key_id()));
    KMSCORE_TRY(kmscore::schedule_key_deletion(record, params.pending_days(), now_ms));
    KMSCORE_TRY(store_->update(record));
    return record;
  }

 private:
  [[nodiscard]] result<key_record> find_existing(const key_id& id) {
    KMSCORE_TRY_ASSIGN(auto found, store_->find(id));
    if (!found) return errc::key_not_found;
    return std::move(*found);
  }

  template <class Change>
  [[nodiscard]] result<key_record> transition(const key_id_request& request, Change&& change) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(auto record, find_existing(params.key_id()));
    KMSCORE_TRY(change(record));
    KMSCORE_TRY(store_->update(record));
    return record;
  }

  Backend* backend_;
  key_store* store_;
  std::string domain_id_;
  datakey_length_policy policy_;
};

}  // namespace kmscore
