// Root keys (issue 27, shared spec cli.md additions 2026-12-06): `--root-key file:PATH` and
// `--root-key pkcs11:...` on a SoftHSM2 token of each test's own (Debian's softhsm2; objects
// made by opensc's pkcs11-tool, an implementation nobody on this team wrote), through the built
// tool: the refusals to start, `root rotate --to` between every kind, and a scan of everything
// kmscore writes for the root key's bytes (with a positive control on file:).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/tool_process.hpp"

namespace {

namespace fs = std::filesystem;
using kmscore_test::quote;
using kmscore_test::run_result;
using kmscore_test::shell;
using kmscore_test::slurp;
using nlohmann::json;

constexpr const char* softhsm_module = "/usr/lib/softhsm/libsofthsm2.so";
constexpr const char* user_pin = "318407";
constexpr const char* token_label = "kmscore-test";

std::string token_uri(const std::string& object) {
  return std::string{"pkcs11:token="} + token_label + ";object=" + object;
}

std::vector<unsigned char> random_bytes(std::size_t size) {
  std::vector<unsigned char> out(size);
  std::ifstream{"/dev/urandom", std::ios::binary}.read(reinterpret_cast<char*>(out.data()),
                                                       static_cast<std::streamsize>(size));
  return out;
}

std::string hex(const std::vector<unsigned char>& bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (const auto b : bytes) {
    out += digits[b >> 4U];
    out += digits[b & 15U];
  }
  return out;
}

std::string base64(const std::vector<unsigned char>& bytes) {
  static constexpr const char* alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{bytes[i]} << 16U) | (std::uint32_t{bytes[i + 1]} << 8U) | bytes[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[(v >> shift) & 63U];
  }
  return out;  // (the whole 3-byte groups: enough to find a 32-byte key written in base64)
}

// Every file under `dir` that holds `key` raw, in hex (either case) or in base64.
std::vector<std::string> files_holding(const fs::path& dir, const std::vector<unsigned char>& key) {
  const std::string raw(key.begin(), key.end());
  const std::vector<unsigned char> head(key.begin(), key.begin() + 30);
  const std::array<std::string, 4> forms{raw, hex(key, false), hex(key, true), base64(head)};
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const auto text = slurp(entry.path());
    if (std::any_of(forms.begin(), forms.end(), [&](const std::string& form) {
          return text.find(form) != std::string::npos;
        })) {
      found.push_back(entry.path().filename().string());
    }
  }
  return found;
}

class RootKeyProviderTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("kmscore_root_key_test_" + std::to_string(::getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tokens");
    std::ofstream{dir_ / "softhsm2.conf"} << "directories.tokendir = " << (dir_ / "tokens").string()
                                          << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    env_ = "SOFTHSM2_CONF=" + quote((dir_ / "softhsm2.conf").string()) +
           " KMSCORE_PKCS11_MODULE=" + softhsm_module;
    ASSERT_EQ(shell(env_ + " softhsm2-util --init-token --free --label " + token_label + " --pin " +
                    user_pin + " --so-pin 975310 >/dev/null"),
              0);
    // Good root keys (made in the token), and objects a root key must never be.
    keygen("root-1", "AES:32", "--sensitive");
    keygen("root-2", "AES:32", "--sensitive");
    keygen("extractable", "AES:32", "--sensitive --extractable");
    keygen("not-sensitive", "AES:32", "");
    keygen("aes-128", "AES:16", "--sensitive");
    keygen("generic", "GENERIC:32", "--sensitive");
    keygen("ec-key", "EC:prime256v1", "", "--keypairgen");  // two objects: public, private
    std::ofstream{dir_ / "data.bin"} << "a data object";
    ASSERT_EQ(shell(env_ + " pkcs11-tool --module " + softhsm_module + " --token-label " +
                    token_label + " --login --pin " + user_pin + " --write-object " +
                    quote((dir_ / "data.bin").string()) +
                    " --type data --label data-object --private >/dev/null 2>&1"),
              0);
    // A root key whose bytes the test knows (written into the token, sensitive): the scan's.
    known_ = random_bytes(32);
    std::ofstream{dir_ / "known.bin", std::ios::binary}.write(
        reinterpret_cast<const char*>(known_.data()), static_cast<std::streamsize>(known_.size()));
    ASSERT_EQ(shell(env_ + " pkcs11-tool --module " + softhsm_module + " --token-label " +
                    token_label + " --login --pin " + user_pin + " --write-object " +
                    quote((dir_ / "known.bin").string()) +
                    " --type secrkey --key-type AES:32 --label known --sensitive >/dev/null 2>&1"),
              0);
    fs::remove(dir_ / "known.bin");
    write_pin(dir_ / "pin", std::string{user_pin} + "\n",
              fs::perms::owner_read | fs::perms::owner_write);
    env_ += " KMSCORE_PKCS11_PIN_FILE=" + quote((dir_ / "pin").string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  void keygen(const std::string& label, const std::string& type, const std::string& flags,
              const std::string& how = "--keygen") {
    ASSERT_EQ(shell(env_ + " pkcs11-tool --module " + softhsm_module + " --token-label " +
                    token_label + " --login --pin " + user_pin + " " + how + " --key-type " + type +
                    " --label " + label + " " + flags + " >/dev/null 2>&1"),
              0)
        << label;
  }
  static void write_pin(const fs::path& path, const std::string& pin, fs::perms perms) {
    std::ofstream{path} << pin;
    fs::permissions(path, perms);
  }
  fs::path state() const { return dir_ / "state"; }

  // The tool on this test's state with `root` as --root-key (empty: the default).
  run_result act(const std::string& action, const std::string& body, const std::string& root,
                 const std::string& extra = "") {
    const std::string root_arg = root.empty() ? "" : " --root-key " + quote(root);
    return kmscore_test::run_tool(
        dir_, "--state " + quote(state().string()) + root_arg + " " + extra + " " + action, body,
        env_);
  }
  std::string create_key(const std::string& root, const std::string& alias) {
    const auto made = act("create-key", json{{"key_alias", alias}}.dump(), root);
    EXPECT_EQ(made.exit_code, 0) << made.err;
    return made.exit_code == 0 ? made.body()["key_info"]["key_id"].get<std::string>() : "";
  }
  // A data key of `key_id`: {cipher_text, plain_text}.
  json datakey(const std::string& root, const std::string& key_id) {
    const auto made =
        act("create-datakey", json{{"key_id", key_id}, {"datakey_length", "256"}}.dump(), root);
    EXPECT_EQ(made.exit_code, 0) << made.err;
    return made.exit_code == 0 ? made.body() : json{};
  }
  // Whether every data key decrypts, under `root`, to what it was.
  void expect_all_decrypt(const std::string& root, const std::string& key_id,
                          const std::vector<json>& datakeys) {
    for (const auto& dek : datakeys) {
      const auto opened = act("decrypt-datakey",
                              json{{"key_id", key_id},
                                   {"cipher_text", dek["cipher_text"]},
                                   {"datakey_cipher_length", "32"}}
                                  .dump(),
                              root);
      ASSERT_EQ(opened.exit_code, 0) << root << ": " << opened.err;
      EXPECT_EQ(opened.body()["data_key"], dek["plain_text"]) << root;
    }
  }
  // The root key a start is refused with: exit 1, the reason on stderr.
  std::string refusal(const std::string& root, const std::string& extra = "") {
    const auto refused = act("list-keys", "{}", root, extra);
    EXPECT_EQ(refused.exit_code, 1) << root << ": " << refused.out;
    return refused.err;
  }

  fs::path dir_;
  std::string env_;
  std::vector<unsigned char> known_;
};

// A store made under a token's key: its keys work across processes, and neither the state
// directory nor the database holds the root key's bytes (raw, hex, base64); the same scan
// finds a file: root key in its state directory (the positive control).
TEST_F(RootKeyProviderTest, ATokenRootSealsTheStoreAndNoCopyOfItIsWritten) {
  const auto root = token_uri("known");
  const auto key_id = create_key(root, "in-the-token");
  std::vector<json> made{datakey(root, key_id), datakey(root, key_id)};
  expect_all_decrypt(root, key_id, made);
  EXPECT_FALSE(fs::exists(state() / "root.key"));
  const auto info = act("info", "", root);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(info.body()["root_key"], root);
  EXPECT_EQ(files_holding(state(), known_), std::vector<std::string>{});

  // The positive control: a file: root key's bytes are found where they are (root.key).
  const auto file_state = dir_ / "file-state";
  const auto file_made = kmscore_test::run_tool(
      dir_, "--state " + quote(file_state.string()) + " create-key", R"({"key_alias":"f"})", "");
  ASSERT_EQ(file_made.exit_code, 0) << file_made.err;
  const auto text = slurp(file_state / "root.key");
  const auto line = text.substr(text.size() - 65, 64);  // the last line: the key in hex
  std::vector<unsigned char> file_key;
  for (std::size_t i = 0; i + 1 < line.size(); i += 2) {
    file_key.push_back(static_cast<unsigned char>(std::stoi(line.substr(i, 2), nullptr, 16)));
  }
  ASSERT_EQ(file_key.size(), 32U) << text;
  EXPECT_EQ(files_holding(file_state, file_key), std::vector<std::string>{"root.key"});
}

// Every root key kmscore must not start with: a clear reason, exit 1, no store made.
TEST_F(RootKeyProviderTest, ARootKeyThatIsNotOneIsRefusedBeforeTheStoreIsOpened) {
  const auto refused = [&](const std::string& root, const std::string& reason,
                           const std::string& extra = "") {
    const auto why = refusal(root, extra);
    EXPECT_NE(why.find(reason), std::string::npos) << root << ": " << why;
    EXPECT_FALSE(fs::exists(state() / "kmscore.db")) << root;
  };
  refused("pkcs11:token=no-such-token;object=root-1", "no such token in the module (tokens: ");
  refused(token_uri("no-such-object"), "no object labelled \"no-such-object\" in the token");
  refused(token_uri("extractable"), "the key is extractable (CKA_EXTRACTABLE)");
  refused(token_uri("not-sensitive"), "the key is not sensitive (CKA_SENSITIVE)");
  refused(token_uri("aes-128"), "the object is not an AES-256 key");
  refused(token_uri("generic"), "the object is not an AES-256 key");
  refused(token_uri("data-object"), "the object is not a secret key");
  refused(token_uri("ec-key"), "several objects match: add id=");
  refused(token_uri("ec-key") + ";type=secret-key", "no secret key labelled \"ec-key\"");
  refused(token_uri("root-1") + ";pin-value=" + user_pin, "(pin-value) is refused");
  refused(token_uri("root-1") + "?pin-value=" + user_pin, "(pin-value) is refused");
  refused(token_uri("root-1") + "?pin-source=file:/etc/pin", "(pin-source) is refused");
  refused(token_uri("root-1") + "?module-path=/tmp/x.so", "give --pkcs11-module");
  refused(token_uri("root-1") + ";slot-id=1", "attribute slot-id is not supported");
  refused(token_uri("root-1") + ";object=root-2", "names object twice");
  refused(token_uri("root-1") + ";type=private", "a root key is a secret-key");
  refused(std::string{"pkcs11:token="} + token_label, "names no object");
  refused("pkcs11:object=root-1", "names no token");
  refused(token_uri("root%2"), "bad percent-encoding");
  refused("hsm:root-1", "unknown root key");
  refused("file:", "takes a path, not a URL");
  refused("file://localhost/etc/root.key", "takes a path, not a URL");
  refused(token_uri("root-1") + ";", "ends with a ';'");
  refused(token_uri("root-1") + ";id=", "attribute \"id=\" has no value");
  // The PIN: wrong, missing, or in a file others may read.
  write_pin(dir_ / "wrong-pin", "000000\n", fs::perms::owner_read);
  refused(token_uri("root-1"), "cannot log in: the PIN is wrong (CKR_PIN_INCORRECT)",
          "--pkcs11-pin-file " + quote((dir_ / "wrong-pin").string()));
  refused(token_uri("root-1"), "cannot open the PIN file",
          "--pkcs11-pin-file " + quote((dir_ / "no-such-pin").string()));
  write_pin(dir_ / "shared-pin", std::string{user_pin} + "\n",
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  refused(token_uri("root-1"), "that only it can read (mode 0600 or 0400)",
          "--pkcs11-pin-file " + quote((dir_ / "shared-pin").string()));
  refused(token_uri("root-1"), "cannot load the PKCS#11 module /no/such/module.so",
          "--pkcs11-module /no/such/module.so");
  // The twin: the same token and object with the right PIN starts, and makes the store.
  const auto listed = act("list-keys", "{}", token_uri("root-1"));
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(fs::exists(state() / "kmscore.db"));
  // A PIN file of mode 0400 and a PIN with no newline are as good.
  write_pin(dir_ / "pin-0400", user_pin, fs::perms::owner_read);
  EXPECT_EQ(act("list-keys", "{}", token_uri("root-1"),
                "--pkcs11-pin-file " + quote((dir_ / "pin-0400").string()))
                .exit_code,
            0);
}

// root rotate --to: file -> file (never over an existing file), file -> pkcs11, pkcs11 ->
// pkcs11, pkcs11 -> file. After each, the new root key opens the store and every data key made
// before decrypts; the one before is refused, and is left where it was (never destroyed).
TEST_F(RootKeyProviderTest, RootRotateMovesTheKeyringBetweenEveryKindOfRootKey) {
  const auto key_id = create_key("", "rotated");
  std::vector<json> made{datakey("", key_id)};
  const auto default_root = "file:" + (state() / "root.key").string();
  const auto old_default = slurp(state() / "root.key");

  // Refusals first: an existing file, the root key in use, a root key that cannot be opened.
  std::ofstream{dir_ / "taken.key"} << "not mine";
  auto refused = act("root rotate --to " + quote("file:" + (dir_ / "taken.key").string()), "", "");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("refusing to overwrite"), std::string::npos) << refused.err;
  EXPECT_EQ(slurp(dir_ / "taken.key"), "not mine");
  refused = act("root rotate --to " + quote(default_root), "", "");
  EXPECT_NE(refused.err.find("is already"), std::string::npos) << refused.err;
  refused = act("root rotate --to " + quote(token_uri("extractable")), "", "");
  EXPECT_NE(refused.err.find("extractable"), std::string::npos) << refused.err;
  expect_all_decrypt("", key_id, made);  // nothing changed

  const std::vector<std::string> chain{"file:" + (dir_ / "second.key").string(),
                                       token_uri("root-1"), token_uri("root-2"),
                                       "file:" + (dir_ / "third.key").string()};
  std::string from;
  for (const auto& to : chain) {
    const auto rotated = act("root rotate --to " + quote(to), "", from);
    ASSERT_EQ(rotated.exit_code, 0) << from << " -> " << to << ": " << rotated.err;
    EXPECT_EQ(rotated.out, R"({"root_key":")" + to + R"(","keyring_keys":1})" + "\n");
    EXPECT_EQ(rotated.err, "");  // a store with a keyring from the start: nothing left to do
    // The one before is refused, with the way out named.
    const auto why = refusal(from);
    EXPECT_NE(why.find("after `root rotate`, give --root-key with the new one"), std::string::npos)
        << why;
    from = to;
    expect_all_decrypt(from, key_id, made);
    made.push_back(datakey(from, key_id));
  }
  // keyring rotate: a new sealing key for new records (the old ones open as before), which the
  // next root rotation carries with the rest of the keyring.
  const auto added = act("keyring rotate", "", from);
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const std::string new_key = added.body()["keyring_key"];
  EXPECT_EQ(added.out, R"({"keyring_key":")" + new_key + R"(","resealed":0})" + "\n");
  const auto fresh = create_key(from, "after-keyring-rotate");
  EXPECT_NE(slurp(state() / "kmscore.db").find(new_key), std::string::npos);
  const std::vector<json> fresh_keys{datakey(from, fresh)};
  const auto fourth = "file:" + (dir_ / "fourth.key").string();
  const auto carried = act("root rotate --to " + quote(fourth), "", from);
  EXPECT_EQ(carried.out, R"({"root_key":")" + fourth + R"(","keyring_keys":2})" + "\n");
  from = fourth;
  expect_all_decrypt(from, key_id, made);
  expect_all_decrypt(from, fresh, fresh_keys);
  EXPECT_EQ(act("keyring rotate --reseal", "", from).exit_code, 2);  // not built: said
  EXPECT_EQ(act("keyring spin", "", from).exit_code, 2);
  EXPECT_EQ(act("list-keys --reseal", "{}", from).exit_code, 2);
  // Retired root key files stay as they were.
  EXPECT_EQ(slurp(state() / "root.key"), old_default);
  EXPECT_TRUE(fs::exists(dir_ / "second.key"));
  // Usage: root takes rotate --to SPEC; --to belongs to it.
  EXPECT_EQ(act("root rotate", "", from).exit_code, 2);
  EXPECT_EQ(act("root spin --to " + quote(token_uri("root-1")), "", from).exit_code, 2);
  EXPECT_EQ(act("list-keys --to " + quote(token_uri("root-1")), "{}", from).exit_code, 2);
}

// A store made before keyrings (0f70773's, tests/fixtures/) moves into a token: its root key
// file seals the keyring's first sealing key, so every data key it made still decrypts.
TEST_F(RootKeyProviderTest, AStoreMadeBy0f70773MovesItsRootKeyIntoAToken) {
  const fs::path fixture = fs::path{KMSCORE_SOURCE_DIR} / "tests/fixtures/store-0f70773";
  fs::create_directories(state());
  fs::permissions(state(), fs::perms::owner_all);
  for (const char* name : {"root.key", "kmscore.db"}) {
    fs::copy_file(fixture / name, state() / name);
    fs::permissions(state() / name, fs::perms::owner_read | fs::perms::owner_write);
  }
  // Refused under a token before it has a keyring: it opens first with its own root key.
  const auto early = refusal(token_uri("root-1"));
  EXPECT_NE(early.find("does not match the store"), std::string::npos) << early;
  const auto made = json::parse(slurp(fixture / "datakeys.json"));
  const std::string key_id = made["key_id"];
  std::vector<json> datakeys(made["datakeys"].begin(), made["datakeys"].end());
  const auto rotated = act("root rotate --to " + quote(token_uri("root-1")), "", "");
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  // Its records are still sealed under the old root key's material (its keyring's first
  // sealing key): said, so that the retired file is kept secret until they are re-sealed.
  EXPECT_NE(rotated.err.find("the retired root key's own material"), std::string::npos)
      << rotated.err;
  expect_all_decrypt(token_uri("root-1"), key_id, datakeys);
}

}  // namespace
