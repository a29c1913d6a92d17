#include "nlp/util/json.h"

#include <fstream>
#include <sstream>

#include "nlp/util/error.h"

namespace nlp {

json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const json::parse_error& e) {
    fail(path, std::string("invalid JSON: ") + e.what());
  }
}

void json_field_error(const std::string& source, const std::string& key, const std::string& expected,
                      const json& got) {
  std::string shown = got.is_null() ? "nothing" : got.dump();
  if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
  fail(source, "field '" + key + "': expected " + expected + " but got " + shown);
}

}  // namespace nlp
