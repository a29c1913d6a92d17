// Number formatting as Python prints it, so that results written by libnlp are byte-identical to
// what the official (Python) evaluation scripts print.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nlp::metrics {

// Python repr(float): the shortest string that round-trips, in fixed notation with at least one
// decimal ("100.0", "66.66666666666667") when the decimal exponent is in [-4, 16), else
// scientific ("1e-05", "1.5e+16"); "NaN", "Infinity", "-Infinity" as json.dumps writes them.
std::string python_float_repr(double value);

// A JSON number as Python holds it: an int prints without a decimal point, a float with repr.
struct PyNumber {
  double value = 0.0;
  bool is_int = false;
  static PyNumber integer(int64_t v) { return {static_cast<double>(v), true}; }
  static PyNumber real(double v) { return {v, false}; }
};

// json.dumps(dict) of a flat dict of numbers, keys in the given order: indent 0 gives
// '{"a": 1.0, "b": 2}', indent > 0 gives one key per line as json.dumps(..., indent=N).
std::string python_json_dumps(const std::vector<std::pair<std::string, PyNumber>>& items, int indent = 0);

}  // namespace nlp::metrics
