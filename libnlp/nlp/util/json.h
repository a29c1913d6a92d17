// Typed access to JSON documents (config.json, recipes, tokenizer files) with errors that name
// the file and the field. Wraps nlohmann::json.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace nlp {

using json = nlohmann::json;

// Reads and parses a JSON file. Throws nlp::Error naming the path on I/O or syntax errors.
json read_json_file(const std::string& path);

// A JSON object together with the file it came from, for error messages.
struct JsonView {
  const json& j;
  std::string source;  // e.g. "model/config.json"

  bool has(const std::string& key) const { return j.is_object() && j.contains(key) && !j.at(key).is_null(); }

  // Value of `key`, or `def` when the key is absent or null. Throws nlp::Error
  // "<source>: field '<key>': expected <type> but got <value>" on a type mismatch.
  template <class T>
  T get(const std::string& key, const T& def) const;
  // Value of `key`; throws when the key is absent.
  template <class T>
  T require(const std::string& key) const;
};

[[noreturn]] void json_field_error(const std::string& source, const std::string& key,
                                   const std::string& expected, const json& got);

template <class T>
const char* json_type_name();
template <> inline const char* json_type_name<int>() { return "an integer"; }
template <> inline const char* json_type_name<long>() { return "an integer"; }
template <> inline const char* json_type_name<long long>() { return "an integer"; }
template <> inline const char* json_type_name<double>() { return "a number"; }
template <> inline const char* json_type_name<float>() { return "a number"; }
template <> inline const char* json_type_name<bool>() { return "a boolean"; }
template <> inline const char* json_type_name<std::string>() { return "a string"; }
template <> inline const char* json_type_name<std::vector<std::string>>() { return "a list of strings"; }
template <> inline const char* json_type_name<std::vector<long>>() { return "a list of integers"; }
template <> inline const char* json_type_name<std::vector<double>>() { return "a list of numbers"; }
template <> inline const char* json_type_name<json>() { return "a JSON value"; }

template <class T>
bool json_is(const json& v) {
  if constexpr (std::is_same_v<T, bool>) return v.is_boolean();
  else if constexpr (std::is_integral_v<T>) return v.is_number_integer() || (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>())));
  else if constexpr (std::is_floating_point_v<T>) return v.is_number();
  else if constexpr (std::is_same_v<T, std::string>) return v.is_string();
  else return true;
}

template <class T>
T JsonView::get(const std::string& key, const T& def) const {
  if (!has(key)) return def;
  return require<T>(key);
}

template <class T>
T JsonView::require(const std::string& key) const {
  if (!j.is_object() || !j.contains(key)) json_field_error(source, key, std::string(json_type_name<T>()) + " (field is missing)", json());
  const json& v = j.at(key);
  if (!json_is<T>(v)) json_field_error(source, key, json_type_name<T>(), v);
  try {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      return v.is_number_float() ? static_cast<T>(v.get<double>()) : v.get<T>();
    } else {
      return v.get<T>();
    }
  } catch (const json::exception&) {
    json_field_error(source, key, json_type_name<T>(), v);
  }
}

}  // namespace nlp
