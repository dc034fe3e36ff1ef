#include <sys/utsname.h>

#include <ctime>

#include "ckpt_version.h"
#include "common/error.h"
#include "common/image/image.h"

namespace ckpt::image {

Header make_header(const std::string& container_id) {
  utsname u{};
  if (::uname(&u) != 0) throw_errno("uname");
  Header h;
  h.arch = u.machine;
  h.kernel = u.release;
  h.ckpt_version = CKPT_VERSION_STRING;
  h.created_unix = static_cast<int64_t>(std::time(nullptr));
  h.container_id = container_id;
  return h;
}

}  // namespace ckpt::image
