// A consumer of the installed library: checks that the umbrella header compiles and works.
#include <kmscore/kmscore.hpp>

int main() {
  const bool alias_ok = kmscore::check_key_alias("test").has_value();
  const bool alias_rejected = !kmscore::check_key_alias("a/default").has_value();
  return alias_ok && alias_rejected && kmscore::to_string(kmscore::key_spec::sm4) == "SM4" ? 0 : 1;
}
