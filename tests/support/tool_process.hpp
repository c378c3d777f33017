// Test support: running the built `kmscore` tool as a process (tool_test, root_key_test).
#pragma once

#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kmscore_test {

struct run_result {
  int exit_code;
  std::string out;
  std::string err;
  nlohmann::json body() const { return nlohmann::json::parse(out); }
};

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::string quote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return quoted + "'";
}

// Runs a shell command line and returns its wait status (running processes is this test's job).
inline int shell(const std::string& command) {
  return std::system(command.c_str());  // NOLINT(cert-env33-c,concurrency-mt-unsafe)
}

// Runs the tool with args (already shell-quoted where needed), `body` on stdin and `env` before
// it (variable assignments or a wrapper such as prlimit); its stdin, stdout and stderr files go
// in `dir`.
inline run_result run_tool(const std::filesystem::path& dir, const std::string& args,
                           const std::string& body, const std::string& env) {
  const auto in = dir / "stdin";
  std::ofstream{in} << body;
  const std::string command = env + " " + quote(KMSCORE_TOOL_PATH) + " " + args + " <" +
                              quote(in.string()) + " >" + quote((dir / "stdout").string()) + " 2>" +
                              quote((dir / "stderr").string());
  const int status = shell(command);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "stdout"),
          slurp(dir / "stderr")};
}

}  // namespace kmscore_test
