// kmscore/detail/hkdf.hpp: HKDF (RFC 5869), built once over any backend's HMAC.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <vector>

#include "../crypto.hpp"
#include "wipe.hpp"

namespace kmscore::detail {

inline constexpr std::size_t hkdf_max_output = 255 * digest_size;

// PRK = HMAC(salt, IKM). An empty salt is HashLen zero bytes (HMAC pads keys with zeros).
template <crypto_backend Backend>
[[nodiscard]] result<void> hkdf_extract(Backend& backend, hash_id hash, byte_span salt,
                                        byte_span ikm, digest_out prk) noexcept {
  const std::array<byte_span, 1> pieces{ikm};
  return hmac(backend, hash, salt, pieces, prk);
}

// OKM = T(1) || T(2) || ... truncated to out.size(), T(i) = HMAC(PRK, T(i-1) || info || i),
// with PRK given as a keyed HMAC state (made once per PRK). `info` is given in pieces.
template <crypto_backend Backend>
[[nodiscard]] result<void> hkdf_expand(Backend& backend, const typename Backend::hmac_key& prk,
                                       byte_pieces info, mutable_byte_span out) noexcept {
  if (out.size() > hkdf_max_output || info.size() > 14) return errc::kms_error;
  std::array<byte, digest_size> block{};
  std::array<byte_span, 16> pieces{};  // T(i-1), info..., counter
  std::size_t done = 0;
  for (unsigned counter = 1; done < out.size(); ++counter) {
    const std::array<byte, 1> counter_byte{static_cast<byte>(counter)};
    std::size_t count = 0;
    if (counter > 1) pieces[count++] = block;
    for (const auto piece : info) pieces[count++] = piece;
    pieces[count++] = counter_byte;
    if (auto made = backend.hmac_keyed(prk, byte_pieces{pieces.data(), count}, block); !made) {
      secure_wipe(block.data(), block.size());
      secure_wipe(out.data(), out.size());
      return made;
    }
    const std::size_t take = out.size() - done < block.size() ? out.size() - done : block.size();
    for (std::size_t i = 0; i < take; ++i) out[done + i] = block[i];
    done += take;
  }
  secure_wipe(block.data(), block.size());
  return {};
}

// The same with PRK as bytes.
template <crypto_backend Backend>
[[nodiscard]] result<void> hkdf_expand(Backend& backend, hash_id hash, byte_span prk,
                                       byte_pieces info, mutable_byte_span out) noexcept {
  auto keyed = backend.hmac_init(hash, prk);
  if (!keyed) return keyed.error();
  return hkdf_expand(backend, *keyed, info, out);
}

}  // namespace kmscore::detail
