// kmscore/service.hpp: every action of the API over a key store, for one project.
//
//   auto project = store.ensure_project(project_id, domain_id);     // key_store.hpp
//   kmscore::kms_service service{backend, store, *project};
//   auto created = service.create_key(request, now_ms);          // result<key_record>
//   auto made = service.create_datakey(datakey_request);         // result<create_datakey_response>
//
// Each action validates its request (requests.hpp: every field check, in documented order),
// finds the master key in the project (KMS.0207 when it has none), and runs the operation
// (datakey.hpp, create_key.hpp) on it. State changes are compare-and-set on the record's
// revision: a conflict (another host changed the key in between) is read again and retried
// a bounded number of times; one that persists answers 500 KMS.0101 and is reported to the
// host's diagnostics sink (the library prints nothing itself). The JSON layer (json.hpp) and
// the `kmscore` tool are thin wrappers over this class. Thread safety: as the backend and
// store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "create_key.hpp"
#include "datakey.hpp"
#include "encrypt_data.hpp"
#include "gen_random.hpp"
#include "key_cache.hpp"
#include "key_store.hpp"
#include "rotation.hpp"
#include "sign.hpp"

namespace kmscore {

struct public_key_response {
  kmscore::key_id key_id;
  std::string public_key;  // PEM
};
struct verify_response {
  kmscore::key_id key_id;
  bool signature_valid = false;
};

// Where the service reports what only an operator can act on (persistent conflicts).
using diagnostics_sink = std::function<void(std::string_view message)>;

inline constexpr int max_update_attempts = 8;

template <crypto_backend Backend>
class kms_service {
 public:
  // cache: optional (key_cache.hpp); with one, data-key actions reuse the derived state of
  // each key while its revision is unchanged.
  kms_service(Backend& backend, key_store& store, project tenant,
              datakey_length_policy policy = datakey_length_policy::range,
              diagnostics_sink diagnostics = {}, key_cache<Backend>* cache = nullptr)
      : backend_{&backend},
        store_{&store},
        project_{std::move(tenant)},
        policy_{policy},
        diagnostics_{std::move(diagnostics)},
        cache_{cache} {}

  [[nodiscard]] datakey_length_policy policy() const noexcept { return policy_; }
  [[nodiscard]] const project& tenant() const noexcept { return project_; }

  [[nodiscard]] result<key_record> create_key(const create_key_request& request,
                                              std::int64_t now_ms) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(auto record,
                       kmscore::create_key(*backend_, params, project_.domain_id, now_ms));
    record.project_id = project_.id;
    KMSCORE_TRY(store_->insert(record));
    return record;
  }

  [[nodiscard]] result<create_datakey_response> create_datakey(
      const create_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request, policy_));
    if (cache_ != nullptr) {
      return with_cached_key(params.key_id(), [&](const cached& key) {
        return key.sealer ? key.sealer->create(params) : key.sealer.error();
      });
    }
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::create_datakey(*backend_, record.key, params);
  }

  [[nodiscard]] result<create_datakey_without_plaintext_response> create_datakey_without_plaintext(
      const create_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request, policy_));
    if (cache_ != nullptr) {
      return with_cached_key(
          params.key_id(),
          [&](const cached& key) -> result<create_datakey_without_plaintext_response> {
            if (!key.sealer) return key.sealer.error();
            return kmscore::create_datakey_without_plaintext_with(*key.sealer, params);
          });
    }
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::create_datakey_without_plaintext(*backend_, record.key, params);
  }

  [[nodiscard]] result<encrypt_datakey_response> encrypt_datakey(
      const encrypt_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    if (cache_ != nullptr) {
      return with_cached_key(params.key_id(),
                             [&](const cached& key) -> result<encrypt_datakey_response> {
                               if (!key.sealer) return key.sealer.error();
                               return kmscore::encrypt_datakey_with(*backend_, key.record->key.spec,
                                                                    *key.sealer, params);
                             });
    }
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::encrypt_datakey(*backend_, record.key, params);
  }

  [[nodiscard]] result<decrypt_datakey_response> decrypt_datakey(
      const decrypt_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    if (cache_ != nullptr) {
      return with_cached_key(
          params.key_id(), [&](const cached& key) -> result<decrypt_datakey_response> {
            if (!key.opener) return key.opener.error();
            return kmscore::decrypt_datakey_with(*backend_, key.record->key, *key.opener, params);
          });
    }
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::decrypt_datakey(*backend_, record.key, params);
  }

  [[nodiscard]] result<key_record> describe_key(const key_id_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    return find_existing(params.key_id());
  }

  [[nodiscard]] result<key_list_page> list_keys(const list_keys_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    return store_->list(project_.id, params.query());
  }

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
    return change_key(params.key_id(), [&](key_record& record) {
      return kmscore::schedule_key_deletion(record, params.pending_days(), now_ms);
    });
  }

  // ---- keys used directly (api-asymmetric.md) -------------------------------------------

  [[nodiscard]] result<public_key_response> get_public_key(const key_id_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    KMSCORE_TRY_ASSIGN(auto pem, kmscore::get_public_key(record));
    return public_key_response{record.key.key_id, std::move(pem)};
  }
  [[nodiscard]] result<sign_response> sign(const sign_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::sign(*backend_, record, params);
  }
  [[nodiscard]] result<verify_response> verify(const verify_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    KMSCORE_TRY_ASSIGN(const bool valid, kmscore::verify(*backend_, record, params));
    return verify_response{record.key.key_id, valid};
  }
  [[nodiscard]] result<encrypt_data_response> encrypt_data(const encrypt_data_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::encrypt_data(*backend_, record, params);
  }
  [[nodiscard]] result<decrypt_data_response> decrypt_data(const decrypt_data_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    KMSCORE_TRY_ASSIGN(const auto record, find_existing(params.key_id()));
    return kmscore::decrypt_data(*backend_, record, params);
  }
  [[nodiscard]] result<secret_hex> gen_random(const gen_random_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request, policy_));
    return kmscore::gen_random(*backend_, params);
  }

  // ---- rotation (api-rotation.md) and its extensions (docs/rotation.md) -----------------

  [[nodiscard]] result<key_record> enable_key_rotation(const key_id_request& request,
                                                       std::int64_t now_ms) {
    return transition(
        request, [&](key_record& record) { return kmscore::enable_key_rotation(record, now_ms); });
  }
  [[nodiscard]] result<key_record> disable_key_rotation(const key_id_request& request) {
    return transition(request,
                      [](key_record& record) { return kmscore::disable_key_rotation(record); });
  }
  [[nodiscard]] result<key_record> update_key_rotation_interval(
      const update_rotation_interval_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    return change_key(params.key_id(), [&](key_record& record) {
      return kmscore::update_rotation_interval(record, params.days());
    });
  }
  // Read-only: every existing key answers (keys that cannot rotate report it off).
  [[nodiscard]] result<key_record> get_key_rotation_status(const key_id_request& request) {
    return describe_key(request);
  }
  // rotate-key (extension, like AWS RotateKeyOnDemand): a new material version now.
  [[nodiscard]] result<key_record> rotate_key(const key_id_request& request, std::int64_t now_ms) {
    return transition(request, [&](key_record& record) -> result<void> {
      KMSCORE_TRY(kmscore::rotate_key(*backend_, record, now_ms));
      return {};
    });
  }
  [[nodiscard]] result<key_record> update_key_min_decryption_version(
      const update_min_decryption_version_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    return change_key(params.key_id(), [&](key_record& record) {
      return kmscore::update_min_decryption_version(record, params.version());
    });
  }
  // re-encrypt-datakey (extension, like AWS ReEncrypt): every field check, then the source
  // key's checks (decrypt-datakey's), then the destination's (create-datakey's).
  [[nodiscard]] result<encrypt_datakey_response> re_encrypt_datakey(
      const re_encrypt_datakey_request& request) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    if (cache_ != nullptr) {
      using response = result<encrypt_datakey_response>;
      return with_cached_key(params.source().key_id(), [&](const cached& source) -> response {
        if (!source.opener) return source.opener.error();
        const auto rewrap = [&](const cached& destination) -> response {
          if (!destination.sealer) return destination.sealer.error();
          return kmscore::re_encrypt_datakey_with(*source.opener, *destination.sealer, params);
        };
        if (params.destination_key_id() == source.record->key.key_id) return rewrap(source);
        return with_cached_key(params.destination_key_id(), rewrap);
      });
    }
    KMSCORE_TRY_ASSIGN(const auto source, find_existing(params.source().key_id()));
    KMSCORE_TRY(datakey_opener<Backend>::make(*backend_, source.key));
    if (params.destination_key_id() == source.key.key_id) {
      return kmscore::re_encrypt_datakey(*backend_, source.key, source.key, params);
    }
    KMSCORE_TRY_ASSIGN(const auto destination, find_existing(params.destination_key_id()));
    return kmscore::re_encrypt_datakey(*backend_, source.key, destination.key, params);
  }
  // Rotates every key of the project that is due at now_ms (once each, however many
  // intervals were missed); the number rotated. Keys that fail are reported and skipped.
  [[nodiscard]] result<std::size_t> rotate_due_keys(std::int64_t now_ms) {
    key_list_query every;
    every.spec.reset();
    std::vector<key_id> due;
    for (every.offset = 0;; every.offset += every.limit) {
      KMSCORE_TRY_ASSIGN(const auto page, store_->list(project_.id, every));
      for (const auto& record : page.records) {
        if (rotation_due(record, now_ms)) due.push_back(record.key.key_id);
      }
      if (every.offset + every.limit >= page.total) break;
    }
    std::size_t rotated = 0;
    for (const auto& id : due) {
      bool still_due = true;
      const auto changed = change_key(id, [&](key_record& record) -> result<void> {
        still_due = rotation_due(record, now_ms);  // another host may have rotated it
        if (!still_due) return {};
        KMSCORE_TRY(kmscore::rotate_key(*backend_, record, now_ms));
        return {};
      });
      if (!changed) {
        report("key " + id.str() + " of project " + project_.id + " was due but not rotated");
      } else if (still_due) {
        ++rotated;
      }
    }
    return rotated;
  }

 private:
  using cached = typename key_cache<Backend>::entry;

  // Runs use with the key's cached state (KMS.0207 when the project has no such key).
  template <class Use>
  [[nodiscard]] auto with_cached_key(const key_id& id, Use&& use)
      -> decltype(use(std::declval<const cached&>())) {
    auto found = cache_->get(*store_, project_.id, id);
    if (!found) {
      report("key " + id.str() + " of project " + project_.id + " cannot be read");
      return found.error();
    }
    if (!*found) return errc::key_not_found;
    return use(**found);
  }

  [[nodiscard]] result<key_record> find_existing(const key_id& id) {
    auto found = store_->find(project_.id, id);
    if (!found) {
      report("key " + id.str() + " of project " + project_.id + " cannot be read");
      return found.error();
    }
    if (!*found) return errc::key_not_found;
    return std::move(**found);
  }

  // Reads the key, applies change, and stores it by compare-and-set; a conflict (the key
  // changed in between) starts again from a fresh read, a bounded number of times.
  template <class Change>
  [[nodiscard]] result<key_record> change_key(const key_id& id, Change&& change) {
    for (int attempt = 0; attempt < max_update_attempts; ++attempt) {
      KMSCORE_TRY_ASSIGN(auto record, find_existing(id));
      KMSCORE_TRY(change(record));
      KMSCORE_TRY_ASSIGN(const auto outcome, store_->update(record));
      if (outcome == update_outcome::updated) return record;
    }
    report("key " + id.str() + " of project " + project_.id + ": update still conflicting after " +
           std::to_string(max_update_attempts) + " attempts");
    return errc::kms_error;
  }

  template <class Change>
  [[nodiscard]] result<key_record> transition(const key_id_request& request, Change&& change) {
    KMSCORE_TRY_ASSIGN(const auto params, validate(request));
    return change_key(params.key_id(), std::forward<Change>(change));
  }

  void report(const std::string& message) const {
    if (diagnostics_) diagnostics_(message);
  }

  Backend* backend_;
  key_store* store_;
  project project_;
  datakey_length_policy policy_;
  diagnostics_sink diagnostics_;
  key_cache<Backend>* cache_;
};

// The maintenance entry point: rotates every due key of every project in the store, with the
// host's clock. `serve` runs it on a timer; the tool as the rotate-due-keys action.
template <crypto_backend Backend>
[[nodiscard]] result<std::size_t> rotate_due_keys(Backend& backend, key_store& store,
                                                  std::int64_t now_ms,
                                                  const diagnostics_sink& diagnostics = {}) {
  KMSCORE_TRY_ASSIGN(const auto projects, store.list_projects());
  std::size_t rotated = 0;
  for (const auto& tenant : projects) {
    kms_service<Backend> service{backend, store, tenant, datakey_length_policy::range, diagnostics};
    KMSCORE_TRY_ASSIGN(const auto count, service.rotate_due_keys(now_ms));
    rotated += count;
  }
  return rotated;
}

}  // namespace kmscore
