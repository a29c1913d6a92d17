// Error type used across libnlp.
//
// Every failure caused by bad input (a file, a config field, a command-line value) is reported
// as nlp::Error with a message naming the file, the field and the expected value, e.g.
//   "config.json: field 'hidden_act': expected one of gelu, relu, ... but got 'foo'".
// Library code never aborts on bad input; programming errors use assertions.
#pragma once

#include <stdexcept>
#include <string>

namespace nlp {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Throw nlp::Error("<where>: <message>"); `where` is usually a file path, optionally with
// ":line" or a field name.
[[noreturn]] void fail(const std::string& where, const std::string& message);

}  // namespace nlp
