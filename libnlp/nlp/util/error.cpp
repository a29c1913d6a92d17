#include "nlp/util/error.h"

namespace nlp {

void fail(const std::string& where, const std::string& message) {
  throw Error(where.empty() ? message : where + ": " + message);
}

}  // namespace nlp
